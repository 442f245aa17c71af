// Runs & checkpoints: every run and checkpoint in storage, the space used, runs compared on one chart,
// checkpoints exported as files or imported from them, and the models in the download cache with a loader.
import { useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { METRICS } from '../../train/metrics';
import {
  deleteCheckpoint,
  deleteRun,
  downloadAdapter,
  exportCheckpoint,
  importCheckpoint,
  toggleCompare,
} from '../../state/library_actions';
import {
  cancelModelLoad,
  deleteCachedModel,
  loadCachedModel,
  loadFolderModel,
  loadHubModel,
  loadUrlModel,
  setModelForm,
  setRememberToken,
} from '../../state/models_actions';
import { exportRun } from '../../state/export_actions';
import { openRun, RESUMABLE, resumeRun, setInitCheckpoint, setPage } from '../../state/run_actions';
import { useAppStore, type AppState } from '../../state/store';
import { ExportButton } from '../components/ExportButton/ExportButton';
import { MetricChart } from '../components/MetricChart/MetricChart';
import { ModelList } from '../components/ModelList/ModelList';
import { ModelLoader } from '../components/ModelLoader/ModelLoader';
import { MemoryPlan } from '../components/MemoryPlan/MemoryPlan';
import { ModelProgress } from '../components/ModelProgress/ModelProgress';
import { StorageBar } from '../components/StorageBar/StorageBar';

const selectLibrary = (s: AppState) => ({
  runs: s.runs,
  checkpoints: s.checkpoints,
  usage: s.usage,
  compare: s.compare,
  compareMetrics: s.compareMetrics,
  liveId: s.live ? (s.run?.id ?? null) : null,
  runsElsewhere: s.runsElsewhere,
});

const selectModels = (s: AppState) => ({
  models: s.cachedModels,
  form: s.modelForm,
  load: s.modelLoad,
  result: s.modelResult,
  memory: s.modelMemory,
  error: s.modelsError,
});
const showError = (modelsError: string) => useAppStore.setState({ modelsError });

/** The download cache's models and the loader (Hub, base URL, local folder) with per-file progress. */
function ModelsSection() {
  const { models, form, load, result, memory, error } = useAppStore(useShallow(selectModels));
  return (
    <section className="panel" data-testid="models-section">
      <h2>Models</h2>
      <p className="muted">
        Pretrained models from the Hugging Face Hub, a URL or a folder, kept in this browser's storage so they load
        offline.
      </p>
      <ModelList models={models} busy={load !== null} onLoad={loadCachedModel} onDelete={deleteCachedModel} />
      <ModelLoader
        form={form}
        busy={load !== null}
        onForm={setModelForm}
        onRemember={setRememberToken}
        onLoadHub={loadHubModel}
        onLoadUrl={loadUrlModel}
        onFolder={(f) => void loadFolderModel(f.name, f.files)}
        onError={showError}
      />
      {load && <ModelProgress load={load} onCancel={cancelModelLoad} />}
      {result && (
        <p role="status" data-testid="model-result">
          {result}
        </p>
      )}
      {memory && <MemoryPlan plan={memory.plan} limits={memory.limits} />}
      {error && (
        <p className="notice error" role="alert" data-testid="model-error">
          {error}
        </p>
      )}
    </section>
  );
}

/** `stage:key` for every metric a run logs (SFT and GRPO count steps apart, so a chart shows one stage). */
const COMPARABLE = METRICS.flatMap((m) =>
  (m.when === 'both' ? ['sft', 'grpo'] : [m.when]).map((stage) => `${stage}:${m.key}`),
);
const ADAPTER_TITLE =
  "the run's LoRA adapter as PEFT writes it (adapter_config.json, adapter_model.safetensors), on the model the " +
  "run started from: after GRPO, the distilled adapter and GRPO's stacked into one of rank 2r";
const pct = (x: number | undefined) => (x === undefined ? '–' : `${(100 * x).toFixed(1)}%`);
const date = (ms: number) => new Date(ms).toLocaleString();
const kb = (b: number) => (b > 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MB` : `${(b / 1024).toFixed(0)} kB`);

export function RunsPage() {
  const { runs, checkpoints, usage, compare, compareMetrics, liveId, runsElsewhere } = useAppStore(
    useShallow(selectLibrary),
  );
  const [metric, setMetric] = useState('grpo:reward');
  const [importName, setImportName] = useState('imported');

  const series = useMemo(
    () =>
      compare.map((id) => {
        const run = runs.find((r) => r.id === id);
        const [stage, key] = metric.split(':');
        const points = (compareMetrics[id] ?? [])
          .filter((r) => r.stage === stage && typeof r[key] === 'number')
          .map((r) => ({ step: r.step, value: r[key] as number }));
        return { name: run?.name ?? id, points };
      }),
    [compare, compareMetrics, metric, runs],
  );

  async function onImport(list: FileList | null) {
    if (!list?.length) return;
    const picked = await Promise.all(
      [...list].map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })),
    );
    await importCheckpoint(picked, importName || 'imported');
  }

  return (
    <>
      <section className="panel">
        <h2>Storage</h2>
        <StorageBar usage={usage} />
      </section>

      <section className="panel">
        <h2>Runs</h2>
        {runs.length === 0 ? (
          <p className="muted">No runs yet: start one on the Train page.</p>
        ) : (
          <table className="grid" data-testid="runs-table">
            <thead>
              <tr>
                <th>compare</th>
                <th>run</th>
                <th>status</th>
                <th>phase</th>
                <th>held-out after SFT</th>
                <th>after GRPO</th>
                <th>created</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => {
                // live in another tab: read-only here (run_lock.ts)
                const elsewhere = runsElsewhere.includes(r.id);
                return (
                  <tr key={r.id} data-testid="run-row">
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`compare ${r.name}`}
                        checked={compare.includes(r.id)}
                        onChange={() => void toggleCompare(r.id)}
                      />
                    </td>
                    <td title={r.id}>
                      {r.name}
                      {r.model && (
                        <div className="muted" data-testid="run-model">
                          model {r.model.name}
                        </div>
                      )}
                    </td>
                    <td className={`status ${r.status}`} title={r.error ?? undefined}>
                      {elsewhere ? 'running in another tab' : r.status}
                    </td>
                    <td>{r.phase}</td>
                    <td>{pct(r.evals.find((e) => e.after === 'sft')?.accuracy)}</td>
                    <td>{pct(r.evals.find((e) => e.after === 'grpo')?.accuracy)}</td>
                    <td>{date(r.createdAt)}</td>
                    <td className="actions">
                      <button
                        type="button"
                        onClick={() => {
                          void openRun(r.id).then(() => setPage('train'));
                        }}
                        disabled={liveId !== null}
                      >
                        open
                      </button>
                      {r.resumeFrom && RESUMABLE.includes(r.status) && (
                        <button
                          type="button"
                          onClick={() => {
                            setPage('train');
                            void resumeRun(r.id);
                          }}
                          disabled={liveId !== null || elsewhere}
                          title="load the run from its last checkpoint and go on"
                        >
                          resume
                        </button>
                      )}
                      <ExportButton runName={r.name} onExport={(t) => void exportRun(r.id, t)} />
                      <button
                        type="button"
                        className="secondary"
                        onClick={() => void deleteRun(r.id)}
                        disabled={liveId === r.id || elsewhere}
                      >
                        delete
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {compare.length > 0 && (
          <div className="compare">
            <label>
              metric{' '}
              <select value={metric} onChange={(e) => setMetric(e.target.value)} aria-label="metric to compare">
                {COMPARABLE.map((k) => (
                  <option key={k}>{k}</option>
                ))}
              </select>
            </label>
            <MetricChart
              title={metric}
              series={series}
              description={METRICS.find((m) => m.key === metric.split(':')[1])?.description}
              height={260}
            />
          </div>
        )}
      </section>

      <section className="panel">
        <h2>Checkpoints</h2>
        <p className="muted">
          Each is three files: config.json (Hugging Face LlamaConfig), model.safetensors (HF Llama tensor names) and
          tokenizer.json. A LoRA run's checkpoints hold the merged weights and also its adapter: "download adapter
          (PEFT)" gives adapter_config.json and adapter_model.safetensors for the model the run started from (after
          GRPO, the distilled adapter and GRPO's stacked into one of rank 2r, so it is exact on that base too).
        </p>
        {checkpoints.length > 0 && (
          <table className="grid" data-testid="checkpoints-table">
            <thead>
              <tr>
                <th>checkpoint</th>
                <th>from</th>
                <th>step</th>
                <th>model</th>
                <th>size</th>
                <th>created</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {checkpoints.map((c) => (
                <tr key={c.id} data-testid="checkpoint-row">
                  <td title={c.id}>{c.name}</td>
                  <td>{c.runId ? (runs.find((r) => r.id === c.runId)?.name ?? c.runId) : c.source}</td>
                  <td>{c.step ?? '–'}</td>
                  <td title={c.summary}>{c.parameters.toLocaleString()} params</td>
                  <td>{kb(c.bytes)}</td>
                  <td>{date(c.createdAt)}</td>
                  <td className="actions">
                    <button type="button" onClick={() => void exportCheckpoint(c.id)}>
                      export
                    </button>
                    {c.adapter && (
                      <button
                        type="button"
                        onClick={() => void downloadAdapter(c.id)}
                        title={ADAPTER_TITLE}
                        data-testid="download-adapter"
                      >
                        download adapter (PEFT)
                      </button>
                    )}
                    <button
                      type="button"
                      onClick={() => {
                        setInitCheckpoint(c.id);
                        setPage('train');
                      }}
                      title="start the next run from these weights"
                    >
                      train from
                    </button>
                    <button type="button" className="secondary" onClick={() => void deleteCheckpoint(c.id)}>
                      delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div className="import">
          <label>
            name{' '}
            <input
              value={importName}
              onChange={(e) => setImportName(e.target.value)}
              aria-label="imported checkpoint name"
            />
          </label>{' '}
          <label className="file">
            Import checkpoint files (pick config.json, model.safetensors and tokenizer.json together)
            <input
              type="file"
              multiple
              accept=".json,.safetensors"
              data-testid="import-checkpoint"
              onChange={(e) => {
                void onImport(e.target.files);
                e.target.value = '';
              }}
            />
          </label>
        </div>
      </section>
      <ModelsSection />
    </>
  );
}

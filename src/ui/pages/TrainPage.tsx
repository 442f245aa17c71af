// Train: pick a preset (the built-in recipe first) or change any setting, the model (built-in, or a real one of
// the model cache: LoRA by default, its memory plan shown), the data to distil on and to run GRPO on; start /
// pause / step / resume / stop, and watch both stages live: progress with ETA, the logged metrics as charts,
// held-out accuracy after each stage, the engine's backend and memory (planned before Start, measured by the
// steps). Settings live in the URL, so a link reproduces a run.
import { useCallback, useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { METRICS } from '../../train/metrics';
import type { MetricsRow } from '../../train/pipeline';
import { applyOverrides, fieldTable } from '../../train/run_config';
import { runPresetConfig, RUN_PRESETS } from '../../train/run_presets';
import {
  etaSeconds,
  pause,
  play,
  RESUMABLE,
  resumeRun,
  setDraft,
  setInitCheckpoint,
  startRun,
  stepOnce,
  stopRun,
} from '../../state/run_actions';
import { BUILTIN_JUDGES, isBuiltin, SHIPPED_DISTILLED } from '../../state/builtin_judges';
import { overrideBackend, runEngineCheck, setFusedKernels } from '../../state/engine_actions';
import { adapterLimitsOf, draftMemory } from '../../state/draft_memory';
import { candidateInUse, draftEstimate, draftModelKey } from '../../state/engine_estimate';
import { useAppStore, type AppState } from '../../state/store';
import { trainModelOptions } from '../../state/train_model';
import { chooseDistillDataset, chooseGrpoDataset, chooseTrainModel } from '../../state/train_model_actions';
import { BackendPanel } from '../components/BackendPanel/BackendPanel';
import { ConfigForm } from '../components/ConfigForm/ConfigForm';
import { EvalTable } from '../components/EvalTable/EvalTable';
import { MeasuredMemory } from '../components/MemoryPlan/MeasuredMemory';
import { TrainMemoryPlan } from '../components/MemoryPlan/TrainMemoryPlan';
import { MetricChart, type Series } from '../components/MetricChart/MetricChart';
import { RunControls } from '../components/RunControls/RunControls';
import { RunEstimate } from '../components/RunEstimate/RunEstimate';
import { StageProgress } from '../components/StageProgress/StageProgress';
import './train.css';

/** The charts of the Train page: which stage's rows and which keys each draws. */
const CHARTS: { title: string; stage: MetricsRow['stage']; keys: string[] }[] = [
  { title: 'SFT loss', stage: 'sft', keys: ['loss', 'eval_loss'] },
  { title: 'reward', stage: 'grpo', keys: ['reward'] },
  { title: 'reward_std', stage: 'grpo', keys: ['reward_std'] },
  {
    title: 'accuracy by category',
    stage: 'grpo',
    keys: ['accuracy/chat', 'accuracy/chat-hard', 'accuracy/safety', 'accuracy/reasoning'],
  },
  { title: 'kl', stage: 'grpo', keys: ['kl'] },
  { title: 'clip_ratio', stage: 'grpo', keys: ['clip_ratio'] },
  { title: 'completions/mean_length', stage: 'grpo', keys: ['completions/mean_length'] },
  { title: 'frac_reward_zero_std', stage: 'grpo', keys: ['frac_reward_zero_std'] },
  { title: 'entropy', stage: 'grpo', keys: ['entropy'] },
  { title: 'tokens_per_second (SFT)', stage: 'sft', keys: ['tokens_per_second'] },
  { title: 'tokens_per_second (GRPO)', stage: 'grpo', keys: ['tokens_per_second'] },
  { title: 'grad_norm (GRPO)', stage: 'grpo', keys: ['grad_norm'] },
];

const describeMetric = (key: string) => METRICS.find((m) => m.key === key)?.description;

function seriesOf(rows: MetricsRow[], stage: MetricsRow['stage'], keys: string[]): Series[] {
  return keys.map((k) => ({
    name: k,
    points: rows
      .filter((r) => r.stage === stage && typeof r[k] === 'number')
      .map((r) => ({ step: r.step, value: r[k] as number })),
  }));
}

const FIELDS = fieldTable();
const flatten = (o: object, prefix = ''): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(o).flatMap(([k, v]) =>
      v !== null && typeof v === 'object' ? Object.entries(flatten(v, `${prefix}${k}.`)) : [[prefix + k, v]],
    ),
  );

const selectRun = (s: AppState) => ({
  run: s.run,
  live: s.live,
  controlInFlight: s.controlInFlight,
  runError: s.runError,
  samples: s.samples,
  metrics: s.metrics,
  runsElsewhere: s.runsElsewhere,
});
const selectSetup = (s: AppState) => ({
  draft: s.draft,
  backend: s.backend,
  memory: s.memory,
  smoke: s.smoke,
  fusedKernels: s.fusedKernels,
  backendChoice: s.backendChoice,
  timings: s.timings,
  probing: s.probing,
  kernels: s.kernels,
  kernelCheck: s.kernelCheck,
  checkpoints: s.checkpoints,
  datasets: s.datasets,
  initCheckpoint: s.initCheckpoint,
  grpoDataset: s.grpoDataset,
  distillDataset: s.distillDataset,
  cachedModels: s.cachedModels,
  trainModel: s.trainModel,
  trainModelInfo: s.trainModelInfo,
  trainModelError: s.trainModelError,
});

export function TrainPage() {
  const { run, live, controlInFlight, runError, samples, metrics, runsElsewhere } = useAppStore(useShallow(selectRun));
  const {
    draft,
    backend,
    kernels,
    kernelCheck,
    memory,
    smoke,
    fusedKernels,
    backendChoice,
    timings,
    probing,
    checkpoints,
    datasets,
    initCheckpoint,
    grpoDataset,
    distillDataset,
    cachedModels,
    trainModel,
    trainModelInfo,
    trainModelError,
  } = useAppStore(useShallow(selectSetup));
  const modelOptions = useMemo(() => trainModelOptions(cachedModels, trainModel), [cachedModels, trainModel]);
  const realModel = trainModel && trainModelInfo?.id === trainModel.id ? trainModelInfo : null;
  const values = useMemo(() => flatten(draft), [draft]);
  const onChange = useCallback(
    (key: string, raw: string) => {
      try {
        setDraft(applyOverrides(draft, { [key]: raw }));
      } catch {
        // an unfinished number (e.g. "1e-") is not applied until it parses
      }
    },
    [draft],
  );
  const charts = useMemo(() => CHARTS.map((c) => ({ ...c, series: seriesOf(metrics, c.stage, c.keys) })), [metrics]);
  const eta = etaSeconds(run, samples);
  const measurements = timings[draftModelKey(draft)];
  const estimate =
    !live && backend
      ? draftEstimate(draft, measurements, candidateInUse(backend.name, kernels?.path ?? null), backend.name)
      : null;
  // a picked real model is planned once the worker has read its config and tokenizer
  const memoryPlan = useMemo(
    () =>
      live || (trainModel && !realModel)
        ? null
        : draftMemory(draft, backend, kernels?.path ?? null, realModel ?? undefined),
    [live, draft, backend, kernels, trainModel, realModel],
  );
  // the plan beside the measurement only where it is the measured run's own
  const plannedPeaks = useMemo(
    () =>
      memoryPlan && run && JSON.stringify(run.config) === JSON.stringify(draft)
        ? Object.fromEntries(memoryPlan.map((s) => [s.stage, s.plan.totalBytes]))
        : undefined,
    [memoryPlan, run, draft],
  );
  // the seed has its own field: a preset with another seed is still that preset
  const presetId =
    RUN_PRESETS.find((p) => JSON.stringify({ ...runPresetConfig(p.id), seed: draft.seed }) === JSON.stringify(draft))
      ?.id ?? '';

  return (
    <>
      <section className="panel">
        <h2>Train a reasoning reward model</h2>
        <div className="setup">
          <label>
            recipe{' '}
            <select
              value={presetId}
              disabled={live}
              onChange={(e) => e.target.value && setDraft({ ...runPresetConfig(e.target.value), seed: draft.seed })}
              aria-label="recipe preset"
            >
              {presetId === '' && <option value="">(custom settings)</option>}
              {RUN_PRESETS.map((p) => (
                <option key={p.id} value={p.id} title={p.description}>
                  {p.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            seed{' '}
            <input
              type="number"
              value={draft.seed}
              disabled={live}
              onChange={(e) => onChange('seed', e.target.value)}
              aria-label="run seed"
            />
          </label>
          <label>
            model{' '}
            <select
              value={trainModel?.id ?? ''}
              disabled={live}
              onChange={(e) => {
                const o = modelOptions.find((x) => x.id === e.target.value);
                chooseTrainModel(o ? { id: o.id, name: o.name } : null);
              }}
              aria-label="model to train"
            >
              <option value="">built-in ({draft.preset})</option>
              {modelOptions.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            start from{' '}
            <select
              value={initCheckpoint ?? ''}
              disabled={live || trainModel !== null}
              title={trainModel ? 'the picked real model starts from its own weights' : undefined}
              onChange={(e) => setInitCheckpoint(e.target.value || null)}
              aria-label="start from"
            >
              <option value="">fresh weights ({draft.preset})</option>
              {BUILTIN_JUDGES.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name}
                </option>
              ))}
              {checkpoints.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name} · {c.summary}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="secondary"
            disabled={live || trainModel !== null}
            title="GRPO only (stage grpo), from the distilled judge shipped with the app (a built-in model)"
            onClick={() => {
              setDraft(applyOverrides(draft, { stage: 'grpo' }));
              setInitCheckpoint(SHIPPED_DISTILLED);
            }}
          >
            Skip distillation: start from the shipped judge
          </button>
          <DatasetSelect
            label="distil on"
            ariaLabel="distillation data"
            title="the traces distillation trains on: the oracle's, or a dataset's (e.g. RM-R1's SFT records)"
            none="oracle traces (synthetic world)"
            value={distillDataset}
            datasets={datasets}
            disabled={live}
            onChange={chooseDistillDataset}
          />
          <DatasetSelect
            label="GRPO data"
            ariaLabel="GRPO data"
            none="synthetic world"
            value={grpoDataset}
            datasets={datasets}
            disabled={live}
            onChange={chooseGrpoDataset}
          />
        </div>
        <p className="muted">
          {RUN_PRESETS.find((p) => p.id === presetId)?.description ??
            'Custom settings: the link in the address bar reproduces them.'}
        </p>
        <RunControls
          status={run?.status ?? null}
          live={live}
          controlInFlight={controlInFlight}
          ready={backend !== null && kernels !== null}
          resumable={!!run?.resumeFrom && RESUMABLE.includes(run.status)}
          elsewhere={!!run && runsElsewhere.includes(run.id)}
          onStart={() => void startRun()}
          onPause={pause}
          onResume={() => void (live ? play() : run && resumeRun(run.id))}
          onStep={() => void stepOnce()}
          onStop={() => void stopRun()}
        />
        {!live && (
          <RunEstimate
            estimate={estimate}
            caveat={
              trainModel
                ? `for a fresh ${draft.preset} model; ${trainModel.name} differs in size`
                : initCheckpoint && !isBuiltin(initCheckpoint)
                  ? `for a fresh ${draft.preset} model; the checkpoint's may differ in size`
                  : null
            }
            onSwitch={estimate?.alternative ? () => overrideBackend(estimate.alternative!.backend) : null}
          />
        )}
        {!live && trainModel && (
          <p className="muted" data-testid="train-model">
            {trainModelError
              ? `The memory plan of ${trainModel.name} could not be made: ${trainModelError}`
              : realModel
                ? `Trains ${trainModel.name} (${realModel.config.num_hidden_layers} layers, hidden ` +
                  `${realModel.config.hidden_size}, ${realModel.config.vocab_size} tokens) from the model cache, ` +
                  `${draft.lora.rank > 0 ? `LoRA r = ${draft.lora.rank}` : 'in full'}; the plan below is for it.`
                : `Reading ${trainModel.name}'s config and tokenizer for the memory plan…`}
          </p>
        )}
        {memoryPlan && (
          <TrainMemoryPlan
            stages={memoryPlan}
            limits={adapterLimitsOf(backend, kernels?.path ?? null)}
            budget={draft.gpuMemory}
          />
        )}
        <MeasuredMemory rows={metrics} planned={plannedPeaks} />
        {runError && (
          <p className="error" role="alert" data-testid="run-error">
            {runError}
          </p>
        )}
        {run && (
          <>
            <p className="run-name">
              Run <strong>{run.name}</strong> <span className="muted">({run.id})</span>
              {run.model && <span data-testid="run-model"> · model {run.model.name}</span>}
            </p>
            <StageProgress progress={run.progress} phase={run.phase} eta={run.status === 'running' ? eta : null} />
            {run.notes.map((n) => (
              <p key={n} className="notice">
                {n}
              </p>
            ))}
          </>
        )}
      </section>

      {run && (
        <section className="panel">
          <h2>Held-out accuracy</h2>
          <EvalTable evals={run.evals} />
        </section>
      )}

      <section className="panel">
        <h2>Metrics</h2>
        <div className="charts">
          {charts.map((c) => (
            <MetricChart key={c.title} title={c.title} series={c.series} description={describeMetric(c.keys[0])} />
          ))}
        </div>
      </section>

      <BackendPanel
        report={backend}
        choice={backendChoice}
        measurements={measurements}
        probing={probing}
        onOverride={overrideBackend}
        kernels={kernels}
        kernelCheck={kernelCheck}
        memory={memory}
        smoke={smoke}
        onCheck={runEngineCheck}
        fused={fusedKernels}
        onFused={setFusedKernels}
        runLoaded={live}
      />

      <section className="panel">
        <details>
          <summary>All settings ({FIELDS.length}); changed ones are marked and kept in the link</summary>
          <ConfigForm fields={FIELDS} values={values} disabled={live} onChange={onChange} />
        </details>
      </section>
    </>
  );
}

/** A stage's data: the built-in source (`none`) or one of the stored datasets. */
function DatasetSelect(props: {
  label: string;
  ariaLabel: string;
  title?: string;
  none: string;
  value: string | null;
  datasets: { id: string; name: string; count: number }[];
  disabled: boolean;
  onChange: (id: string | null) => void;
}) {
  return (
    <label>
      {props.label}{' '}
      <select
        value={props.value ?? ''}
        disabled={props.disabled}
        onChange={(e) => props.onChange(e.target.value || null)}
        aria-label={props.ariaLabel}
        title={props.title}
      >
        <option value="">{props.none}</option>
        {props.datasets.map((d) => (
          <option key={d.id} value={d.id}>
            {d.name} ({d.count} pairs)
          </option>
        ))}
      </select>
    </label>
  );
}

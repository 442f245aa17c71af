// The Judge page: paste a question and two responses (or try a held-out example of the built-in world, or
// pick a pair from a stored dataset), pick the judge (on a first visit the judge shipped with the app; a
// checkpoint of yours; a real model from the model cache, or one loaded here from the Hub, a URL or a folder;
// the choice is remembered), judge greedily or with N samples (temperature, top-p), and watch both orders'
// traces stream in with their rubric trees and the tokens/s, stop; then the verdict, the vote share, the swap
// check, and the user's own label, saved into "My labels". Everything typed is shown as text (React escapes
// it); nothing is HTML.
import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import {
  browseDataset,
  chooseJudgeCheckpoint,
  deleteLabel,
  EXAMPLES_SOURCE,
  judgeCheckpoint,
  loadJudgeModel,
  loadMyLabels,
  loadShipped,
  openLabel,
  pickExample,
  pickPair,
  restoreJudgeChoice,
  runJudge,
  saveLabel,
  setJudgeDecoding,
  setJudgeField,
  stopJudge,
  syncJudgeCheckpoint,
} from '../../state/judge_actions';
import { judgeModelLine, realModelOptions } from '../../state/judge_model';
import {
  cancelModelLoad,
  loadFolderModel,
  loadHubModel,
  loadUrlModel,
  setModelForm,
  setRememberToken,
} from '../../state/models_actions';
import {
  addAdapterFiles,
  addAdapterFromHub,
  currentAdapter,
  removeAdapter,
  setAdapterHubId,
  takesAdapter as takesAdapterOf,
} from '../../state/adapter_actions';
import { BUILTIN_JUDGES, builtinJudge, MODEL_CARD_PATH } from '../../state/builtin_judges';
import type { UserLabel } from '../../state/judge_slice';
import type { PairText } from '../../train/judge';
import { useAppStore, type AppState } from '../../state/store';
import { AdapterPicker } from '../components/AdapterPicker/AdapterPicker';
import { ExamplePicker } from '../components/ExamplePicker/ExamplePicker';
import { DraftField } from '../components/DraftField/DraftField';
import { InputFlags } from '../components/InputFlags/InputFlags';
import { JudgeSummary } from '../components/JudgeSummary/JudgeSummary';
import { JudgeSpeed } from '../components/JudgeSpeed/JudgeSpeed';
import { LabelList } from '../components/LabelList/LabelList';
import { ModelLoader } from '../components/ModelLoader/ModelLoader';
import { ModelProgress } from '../components/ModelProgress/ModelProgress';
import { PairPicker } from '../components/PairPicker/PairPicker';
import { ShippedJudgeNote } from '../components/ShippedJudgeNote/ShippedJudgeNote';
import { TracePanel } from '../components/TracePanel/TracePanel';
import './judge.css';

const selectJudge = (s: AppState) => ({
  draft: s.judgeDraft,
  picked: s.judgePicked,
  decoding: s.judgeDecoding,
  check: s.judgeCheck,
  checking: s.judgeChecking,
  running: s.judgeRequestId !== null,
  stream: s.judgeStream,
  speed: s.judgeSpeed,
  stopped: s.judgeStopped,
  result: s.judgeResult,
  error: s.judgeError,
  labelMessage: s.labelMessage,
  loading: s.judgeLoading,
});
const selectShipped = (s: AppState) => ({ shipped: s.shipped, shippedError: s.shippedError });
const selectModels = (s: AppState) => ({
  cached: s.cachedModels,
  form: s.modelForm,
  load: s.modelLoad,
  result: s.modelResult,
  error: s.modelsError,
});
const selectAdapter = (s: AppState) => ({
  adapter: currentAdapter(s),
  hubId: s.adapterHubId,
  busy: s.adapterBusy,
  error: s.adapterError,
});
const onAdapterFiles = (name: string, files: File[]) => void addAdapterFiles(name, files);
const onAdapterHub = () => void addAdapterFromHub();
const onAdapterRemove = () => void removeAdapter();

/** A PEFT adapter on the real model that judges (shown for real models only). */
function JudgeAdapterPicker() {
  const a = useAppStore(useShallow(selectAdapter));
  return (
    <AdapterPicker
      {...a}
      onFiles={onAdapterFiles}
      onHubId={setAdapterHubId}
      onHub={onAdapterHub}
      onRemove={onAdapterRemove}
    />
  );
}

const selectLibrary = (s: AppState) => ({
  checkpoints: s.checkpoints,
  datasets: s.datasets,
  browse: s.judgeBrowse,
  myLabels: s.myLabels,
});

const LABELS: { label: UserLabel; text: string }[] = [
  { label: 'A', text: 'A is better' },
  { label: 'B', text: 'B is better' },
  { label: 'tie', text: 'Tie' },
  { label: 'both-bad', text: 'Both bad' },
];
/** The pair's three boxes; each one's change handler made once, so a keystroke re-renders only its own box. */
const field = (name: keyof PairText, label: string, rows: number) => ({
  name,
  label,
  rows,
  onChange: (v: string) => setJudgeField(name, v),
});
const FIELDS = [field('prompt', 'question', 3), field('a', 'response A', 4), field('b', 'response B', 4)];
const int = (v: string, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.round(Number(v)) || lo));
const showModelsError = (modelsError: string) => useAppStore.setState({ modelsError });

/** Loads a real model into the cache from here (the Models section's loader) and judges with it. */
function JudgeModelLoader() {
  const m = useAppStore(useShallow(selectModels));
  return (
    <details className="judge-model-loader" data-testid="judge-model-loader">
      <summary>Load a real model (Hugging Face Hub, a URL or a folder)</summary>
      <ModelLoader
        form={m.form}
        busy={m.load !== null}
        onForm={setModelForm}
        onRemember={(on) => void setRememberToken(on)}
        onLoadHub={() => void loadJudgeModel(loadHubModel)}
        onLoadUrl={() => void loadJudgeModel(loadUrlModel)}
        onFolder={(f) => void loadJudgeModel(() => loadFolderModel(f.name, f.files))}
        onError={showModelsError}
      />
      {m.load && <ModelProgress load={m.load} onCancel={cancelModelLoad} />}
      {m.result && (
        <p role="status" data-testid="model-result">
          {m.result}
        </p>
      )}
      {m.error && (
        <p className="notice error" role="alert" data-testid="model-error">
          {m.error}
        </p>
      )}
    </details>
  );
}

export function JudgePage() {
  const j = useAppStore(useShallow(selectJudge));
  const lib = useAppStore(useShallow(selectLibrary));
  const { shipped, shippedError } = useAppStore(useShallow(selectShipped));
  const checkpointId = useAppStore(judgeCheckpoint);
  const cached = useAppStore((s) => s.cachedModels);
  const takesAdapter = useAppStore(takesAdapterOf);
  useEffect(() => {
    restoreJudgeChoice();
    void loadMyLabels();
    void loadShipped();
  }, []);
  useEffect(() => {
    // whenever the checkpoint judged with changes: chosen, or stored ones listed after the page opened
    if (checkpointId) void syncJudgeCheckpoint();
  }, [checkpointId]);
  const d = j.decoding,
    greedy = d.samples === 1;
  const filled = j.draft.prompt.trim() !== '' && j.draft.a.trim() !== '' && j.draft.b.trim() !== '';
  const r = j.result;
  const builtin = builtinJudge(checkpointId);
  const realModels = realModelOptions(cached);
  const context = j.check?.contextLength ?? 4096; // max new tokens up to the model's context
  const judged = r !== null && r.pair.prompt === j.draft.prompt && r.pair.a === j.draft.a && r.pair.b === j.draft.b;

  return (
    <>
      <section className="panel judge-input">
        <h2>Judge a pair</h2>
        <label className="row">
          model{' '}
          <select aria-label="checkpoint" value={checkpointId} onChange={(e) => chooseJudgeCheckpoint(e.target.value)}>
            <optgroup label="shipped with the app">
              {BUILTIN_JUDGES.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name}
                </option>
              ))}
            </optgroup>
            {lib.checkpoints.length > 0 && (
              <optgroup label="yours (Runs & checkpoints)">
                {lib.checkpoints.map((c, k) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                    {k === 0 ? ' (newest)' : ''} — {c.summary}
                  </option>
                ))}
              </optgroup>
            )}
            {realModels.length > 0 && (
              <optgroup label="real models (model cache)">
                {realModels.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.name}
                  </option>
                ))}
              </optgroup>
            )}
          </select>
          {j.loading === checkpointId && (
            <span className="muted" role="status">
              {' '}
              loading…
            </span>
          )}
        </label>
        <p className="muted" data-testid="judge-model">
          {judgeModelLine(checkpointId, lib.checkpoints, cached)}
        </p>
        <JudgeModelLoader />
        {takesAdapter && <JudgeAdapterPicker />}
        {builtin && (
          <ShippedJudgeNote
            checkpoint={builtin.checkpoint}
            card={shipped?.card ?? null}
            error={shippedError}
            modelCardUrl={`${import.meta.env.BASE_URL}${MODEL_CARD_PATH}`}
          />
        )}
        {shipped && (
          <ExamplePicker
            examples={shipped.examples}
            picked={j.picked?.datasetId === EXAMPLES_SOURCE ? j.picked.index : null}
            onPick={pickExample}
          />
        )}
        <PairPicker
          datasets={lib.datasets}
          browse={lib.browse}
          onDataset={(id) => void browseDataset(id)}
          onIndex={pickPair}
        />
        {FIELDS.map((f) => (
          <DraftField key={f.name} label={f.label} rows={f.rows} value={j.draft[f.name]} onChange={f.onChange} />
        ))}
        <InputFlags check={j.check} checking={j.checking} />
        <fieldset className="decoding">
          <legend>decoding</legend>
          <label>
            <input type="radio" name="decoding" checked={greedy} onChange={() => setJudgeDecoding({ samples: 1 })} />
            greedy
          </label>
          <label>
            <input type="radio" name="decoding" checked={!greedy} onChange={() => setJudgeDecoding({ samples: 4 })} /> N
            samples
          </label>
          {!greedy && (
            <>
              <label>
                N{' '}
                <input
                  type="number"
                  aria-label="samples"
                  min={2}
                  max={32}
                  value={d.samples}
                  onChange={(e) => setJudgeDecoding({ samples: int(e.target.value, 2, 32) })}
                />
              </label>
              <label>
                temperature{' '}
                <input
                  type="number"
                  aria-label="temperature"
                  min={0.1}
                  max={2}
                  step={0.1}
                  value={d.temperature}
                  onChange={(e) => setJudgeDecoding({ temperature: Math.max(0.1, Number(e.target.value) || 1) })}
                />
              </label>
              <label title="nucleus sampling: the smallest set of tokens holding this much probability; 1 = off">
                top-p{' '}
                <input
                  type="number"
                  aria-label="top-p"
                  min={0.01}
                  max={1}
                  step={0.05}
                  value={d.topP ?? 1}
                  onChange={(e) => setJudgeDecoding({ topP: Math.max(0.01, Math.min(1, Number(e.target.value) || 1)) })}
                />
              </label>
              <label>
                seed{' '}
                <input
                  type="number"
                  aria-label="seed"
                  value={d.seed}
                  onChange={(e) => setJudgeDecoding({ seed: int(e.target.value, 0, 2 ** 31 - 1) })}
                />
              </label>
            </>
          )}
          <label>
            max new tokens{' '}
            <input
              type="number"
              aria-label="max new tokens"
              min={1}
              max={context}
              value={d.maxNewTokens}
              onChange={(e) => setJudgeDecoding({ maxNewTokens: int(e.target.value, 1, context) })}
            />
          </label>
        </fieldset>
        <div className="judge-actions">
          <button
            type="button"
            onClick={() => void runJudge()}
            disabled={j.running || !filled || Boolean(j.check?.tooLong)}
          >
            Judge
          </button>
          {j.running && (
            <button type="button" className="secondary" onClick={stopJudge}>
              Stop
            </button>
          )}
          {j.running && (
            <span className="muted" role="status">
              {' '}
              judging both orders…
            </span>
          )}
        </div>
        <JudgeSpeed meter={j.speed} running={j.running} stopped={j.stopped} />
        {j.error && (
          <p className="error" role="alert" data-testid="judge-error">
            {j.error}
          </p>
        )}
      </section>

      <section className="panel judge-result">
        <h2>Judgement</h2>
        <JudgeSummary result={r} running={j.running} datasetLabel={judged ? (j.picked?.winner ?? null) : null} />
        <div className="orders">
          <TracePanel
            title="A then B (as shown)"
            texts={j.stream.shown}
            verdicts={r ? r.shown.map((x) => x.verdict) : null}
            streaming={j.running}
            testId="trace-shown"
          />
          <TracePanel
            title="B then A (swapped)"
            note="The responses trade places: [[A]] in this trace names response B."
            texts={j.stream.swapped}
            verdicts={r ? r.swapped.map((x) => x.verdict) : null}
            streaming={j.running}
            testId="trace-swapped"
          />
        </div>
        {r && (
          <details className="prompt-text">
            <summary>
              The exact prompts fed to the model ({r.input.promptTokens} tokens; trace cap {r.maxNewTokens})
            </summary>
            <pre data-testid="prompt-text">{r.shown[0].promptText}</pre>
            <pre data-testid="prompt-text-swapped">{r.swapped[0].promptText}</pre>
          </details>
        )}
      </section>

      <section className="panel judge-labels">
        <h2>Your label</h2>
        <p className="muted">
          Which response is better? Labels go to the dataset "My labels" (Data page), usable for GRPO on the Train page.
        </p>
        <div className="label-buttons">
          {LABELS.map((l) => (
            <button
              type="button"
              key={l.label}
              className="secondary"
              disabled={!filled}
              onClick={() => void saveLabel(l.label)}
            >
              {l.text}
            </button>
          ))}
        </div>
        {j.labelMessage && (
          <p role="status" data-testid="label-message">
            {j.labelMessage}
          </p>
        )}
        <LabelList labels={lib.myLabels} onOpen={openLabel} onDelete={(id) => void deleteLabel(id)} />
      </section>
    </>
  );
}

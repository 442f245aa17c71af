// Actions of the Train page's run: start, resume, play, pause, one step, stop; and the worker's run events,
// booked into storage (through the same run recorder as the CLI) and into the store, in arrival order. A
// start or resume the worker refuses leaves the run failed with the reason and the page free to start
// again. This tab owns the run it loads (run_lock.ts) until the run ends; open runs another tab owns are
// listed as running there, and those no tab owns (their page closed) are marked interrupted.
import type { GrpoStepReport } from '../train/grpo_types';
import type { LabStore, RunRecord, RunStatus } from '../train/lab_store';
import { readResumeInputs, rewindPoint } from '../train/resume';
import type { RunConfig } from '../train/run_config';
import { memoryRefusal } from '../train/run_memory';
import { createRunRecorder, newRunRecord, type RunRecorder } from '../train/run_recorder';
import { getEngine } from '../worker/client';
import { cachedModelJudgeId, cacheIdOf } from '../worker/judge_protocol';
import type { WorkerEvent } from '../worker/protocol';
import { checkpointFiles } from './builtin_judges';
import { cachedModelName } from './judge_model';
import { draftMemory } from './draft_memory';
import { backendNote, draftModelKey, shapesKey } from './engine_estimate';
import { errorMessage, guardCall } from './call_guard';
import { labStore } from './lab';
import { refreshLibrary, reportStorageError } from './library_actions';
import { claimRun, ifRunFree, whenRunFree } from './run_lock';
import type { TrainModelChoice } from './run_slice';
import { useAppStore } from './store';
import { trainModelProblem } from './train_model';
import { formatHash, type Page } from './url';

/** GRPO step reports kept in memory for the live run; older ones are read back from storage. */
export const REPORTS_IN_MEMORY = 30;
/** Progress samples behind the ETA (a sliding window over the current phase). */
const ETA_WINDOW = 20;

let recorder: RunRecorder | null = null;
let booking: Promise<void> = Promise.resolve();
const set = useAppStore.setState;
const get = useAppStore.getState;

const fail = (e: unknown) => set({ runError: errorMessage(e), controlInFlight: false });

/** Runs `work` after every event booked so far, in the same queue. */
const book = (work: () => Promise<void>): Promise<void> => (booking = booking.then(work));

/** The run this tab owns (holds the lock of) while it is loaded. */
let owned: { runId: string; release: () => void } | null = null;
async function own(runId: string): Promise<void> {
  const release = await claimRun(runId);
  if (!release) throw new Error(`Run ${runId} is running in another tab: go on there, or close that tab first`);
  owned = { runId, release };
}
function letGo(runId: string): void {
  if (owned?.runId !== runId) return;
  owned.release();
  owned = null;
}

/** Hands the run to the worker; a refusal becomes a failed run with the reason, and the page goes on. */
async function loadInWorker(runId: string, load: () => Promise<void>): Promise<boolean> {
  try {
    await load();
    return true;
  } catch (e) {
    const message = errorMessage(e);
    await book(async () => {
      if (recorder?.run.id === runId) await recorder.setStatus('failed', message).catch(reportStorageError);
      set({
        run: recorder ? { ...recorder.run } : get().run,
        live: false,
        runError: `The run could not start: ${message}`,
      });
    });
    letGo(runId);
    void refreshLibrary();
    return false;
  }
}

/** A control call, in flight until it returns; a refusal becomes the page's error line. */
const control = (work: () => Promise<void>) => guardCall({ inFlight: 'controlInFlight', error: 'runError' }, work);

export function setPage(page: Page): void {
  set({ page });
  const hash = formatHash(page, get().draft);
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

export function setDraft(draft: RunConfig): void {
  set({ draft, linkError: null });
  history.replaceState(null, '', formatHash(get().page, draft));
}

export const setGrpoDataset = (grpoDataset: string | null) => set({ grpoDataset });
export const setInitCheckpoint = (initCheckpoint: string | null) => set({ initCheckpoint });

/** The picked real model as a run starts from it: still in the cache with every file (else refused, naming it),
 * and its config and the run's lengths through its tokenizer, which the memory plan is checked with. */
async function modelToStart(choice: TrainModelChoice, config: RunConfig) {
  const problem = trainModelProblem(choice, await getEngine().cachedModels());
  if (problem) throw new Error(problem);
  const held = get().trainModelInfo;
  const info =
    held?.id === choice.id && held.key === shapesKey(config)
      ? held
      : await getEngine().cachedModelShapes(choice.id, config);
  return { choice, info };
}

/** What a run started from, as a LoRA adapter's base_model_name_or_path names it: a cached model's Hub id or
 * folder, else the checkpoint's id (undefined for fresh weights). */
function baseNameOf(init: string | null): string | undefined {
  const cacheId = init && cacheIdOf(init);
  const model = cacheId ? get().cachedModels.find((m) => m.id === cacheId) : undefined;
  return model ? cachedModelName(model) : (init ?? undefined);
}

const newRunId = () => `run-${new Date().toISOString().replace(/[:.]/g, '-')}`;

/** Starts a run with the draft settings (and the chosen start checkpoint and GRPO dataset), then plays it. */
export function startRun(): Promise<void> {
  return control(async () => {
    const s = get();
    if (s.live) throw new Error('A run is loaded; stop it before starting another');
    const store = await labStore();
    const config = structuredClone(s.draft);
    const model = s.trainModel ? await modelToStart(s.trainModel, config) : null; // a real model, not a checkpoint
    const initId = model ? null : s.initCheckpoint;
    const init = (initId && (await checkpointFiles(initId))) || undefined; // shipped ones too
    if (initId && !init) throw new Error(`Checkpoint ${initId} is no longer in storage`);
    const datasets = await store.listDatasets();
    const pairsOf = async (id: string | null) => {
      const pairs = id ? await store.datasetPairs(id) : undefined;
      if (id && !pairs) throw new Error(`Dataset ${id} is no longer in storage`);
      return pairs ?? undefined;
    };
    const named = (id: string | null) => (id ? { id, name: datasets.find((d) => d.id === id)?.name ?? id } : null);
    const [grpoPairs, distillPairs] = [await pairsOf(s.grpoDataset), await pairsOf(s.distillDataset)];
    // before anything is stored
    const refusal = memoryRefusal(draftMemory(config, s.backend, s.kernels?.path ?? null, model?.info));
    if (refusal) throw new Error(refusal);
    const run = newRunRecord(newRunId(), config, {
      init: model ? cachedModelJudgeId(model.choice.id) : initId,
      model: model?.choice,
      distillDataset: named(s.distillDataset),
      backend: s.backend?.name ?? null,
      kernels: s.kernels?.summary ?? null,
      backendChoice: backendNote(
        config,
        s.backendChoice,
        s.timings[draftModelKey(config)],
        s.backend?.name ?? null,
        s.kernels?.path ?? null,
      ),
      grpoDataset: named(s.grpoDataset),
    });
    if (model) run.notes.push(`Trains ${model.choice.name}, a real model from this browser's model cache`);
    if (s.distillDataset)
      run.notes.push(`Distils on dataset ${s.distillDataset}'s traced pairs instead of the world's oracle traces`);
    if (s.grpoDataset)
      run.notes.push(`GRPO on dataset ${s.grpoDataset} (${grpoPairs!.length} pairs) instead of the synthetic world's`);
    await own(run.id); // before the record exists, so no other tab takes it for interrupted
    recorder = createRunRecorder(store, run);
    await store.putRun(run);
    set({ run: { ...run }, live: true, metrics: [], reports: [], storedSteps: [], selectedStep: null, samples: [] });
    const baseName = baseNameOf(run.init);
    const req = { runId: run.id, config, init, model: model?.choice.id, baseName, grpoPairs, distillPairs };
    if (!(await loadInWorker(run.id, () => getEngine().startRun(req)))) return;
    void refreshLibrary();
    void play();
  });
}

/** Statuses a run resumes from (with its resume snapshot): its page closed, it was stopped, or it failed. */
export const RESUMABLE: RunStatus[] = ['interrupted', 'stopped', 'failed'];

/**
 * Loads a stored run from its resume snapshot into the worker and plays it: the same run, its metrics going
 * on at the snapshot's steps (rows logged past them are dropped, so none is there twice).
 */
export function resumeRun(id: string): Promise<void> {
  return control(async () => {
    if (get().live) throw new Error('A run is loaded; stop it before resuming another');
    await own(id); // first: a run another tab is running is not touched here
    const store = await labStore();
    let run: RunRecord | null, inputs: Awaited<ReturnType<typeof readResumeInputs>>;
    try {
      run = await store.getRun(id);
      if (!run) throw new Error(`Run ${id} is no longer in storage`);
      if (!RESUMABLE.includes(run.status))
        throw new Error(`Run ${run.name} is ${run.status}; a stopped, interrupted or failed run resumes`);
      const problem = run.model && trainModelProblem(run.model, await getEngine().cachedModels());
      if (problem) throw new Error(`Run ${run.name} cannot resume: ${problem}`);
      // a real model it started from is read by the worker from the model cache: sent empty, not as bytes
      inputs = await readResumeInputs(store, run, async (init) =>
        cacheIdOf(init) === null ? checkpointFiles(init) : {},
      );
    } catch (e) {
      letGo(id);
      throw e;
    }
    recorder = createRunRecorder(store, { ...run, error: null });
    set({ run: { ...recorder.run }, live: true, reports: [], selectedStep: null, samples: [] });
    const { state, ...req } = inputs;
    const startModel = run.init === null ? undefined : (cacheIdOf(run.init) ?? undefined);
    const resume = { runId: id, config: run.config, startModel, baseName: baseNameOf(run.init), ...req };
    if (!(await loadInWorker(id, () => getEngine().resumeRun(resume)))) return;
    await book(async () => {
      // nothing is logged twice: what came after the snapshot goes, from storage and from the page
      await recorder!.rewind(rewindPoint(state, run.config.stage));
      const [metrics, storedSteps] = await Promise.all([store.metrics(id), store.stepReports(id)]);
      set({ run: { ...recorder!.run }, metrics, storedSteps });
    });
    void refreshLibrary();
    void play();
  });
}

/** Plays until paused, stopped, done or failed (the call returns when the worker's loop does). */
export async function play(): Promise<void> {
  set({ runError: null, samples: [] });
  try {
    await getEngine().play();
  } catch (e) {
    fail(e);
  }
}

export const pause = () => getEngine().pause();
export const stepOnce = () => control(() => getEngine().stepOnce());
export const stopRun = () => control(() => getEngine().stop());

/** A run event from the worker: stored first, then shown. Events are booked one after another. */
export function applyRunEvent(e: Extract<WorkerEvent, { kind: 'run' }>): Promise<void> {
  booking = booking.then(async () => {
    if (!recorder || recorder.run.id !== e.runId) return;
    try {
      await recorder.record(e.events, e.progress);
    } catch (err) {
      reportStorageError(err);
    }
    const rows = e.events.flatMap((x) => (x.kind === 'metrics' ? [x.row] : []));
    const reports = e.events.flatMap((x) => (x.kind === 'grpo-step' ? [x.report] : []));
    const now = performance.now();
    const current = e.progress.find((p) => p.phase === recorder!.run.phase);
    set((s) => ({
      run: { ...recorder!.run },
      metrics: rows.length ? [...s.metrics, ...rows] : s.metrics,
      reports: reports.length ? [...s.reports, ...reports].slice(-REPORTS_IN_MEMORY) : s.reports,
      storedSteps: reports.length ? [...s.storedSteps, ...reports.map((r) => r.step)] : s.storedSteps,
      samples: current
        ? [
            ...s.samples.filter((x) => x.phase === current.phase),
            { at: now, phase: current.phase, done: current.done },
          ].slice(-ETA_WINDOW)
        : s.samples,
    }));
    if (e.events.some((x) => x.kind === 'checkpoint' || x.kind === 'eval')) void refreshLibrary();
  });
  return booking;
}

export function applyRunStatus(e: Extract<WorkerEvent, { kind: 'run-status' }>): Promise<void> {
  booking = booking.then(async () => {
    if (!recorder || recorder.run.id !== e.runId) return;
    try {
      await recorder.setStatus(e.status, e.error ?? null);
    } catch (err) {
      reportStorageError(err);
    }
    const ended = e.status === 'done' || e.status === 'stopped' || e.status === 'failed';
    if (ended) letGo(e.runId); // after the status is stored: a tab that takes the lock reads it
    set({
      run: { ...recorder.run },
      live: !ended,
      samples: e.status === 'running' ? get().samples : [],
      ...(e.status === 'failed'
        ? { runError: `The run failed: ${e.error}. Its checkpoints so far are kept (Runs page).` }
        : {}),
    });
    if (ended) void refreshLibrary();
  });
  return booking;
}

/** Seconds left in the current phase, from the recent rate of progress; null while unknown. */
export function etaSeconds(run: RunRecord | null, samples: { at: number; done: number }[]): number | null {
  if (!run || samples.length < 2) return null;
  const p = run.progress.find((x) => x.phase === run.phase);
  const a = samples[0],
    b = samples[samples.length - 1];
  if (!p || b.done <= a.done) return null;
  return ((p.total - b.done) * (b.at - a.at)) / (b.done - a.done) / 1000;
}

/** Opens a stored run on the Train page (its charts and step reports; not loaded in the worker). */
export async function openRun(id: string): Promise<void> {
  if (get().live) return fail(new Error('A run is loaded; stop it before opening another'));
  const store = await labStore();
  const run = await store.getRun(id);
  if (!run) return fail(new Error(`Run ${id} is no longer in storage`));
  const [metrics, storedSteps] = await Promise.all([store.metrics(id), store.stepReports(id)]);
  recorder = null;
  set({ run, metrics, storedSteps, reports: [], selectedStep: null, samples: [], runError: null });
}

export const selectStep = (selectedStep: number | null) => set({ selectedStep });

/** A GRPO step report of the shown run, from memory or storage. */
export async function loadStepReport(step: number): Promise<GrpoStepReport | null> {
  const s = get();
  const hit = s.reports.find((r) => r.step === step);
  if (hit || !s.run) return hit ?? null;
  return (await labStore()).stepReport(s.run.id, step);
}

const OPEN: RunStatus[] = ['created', 'running', 'paused'];
/** Open runs of other tabs this tab waits on (each once). */
const watched = new Set<string>();

/** Marks a run interrupted if it is still open: called holding its lock, so no tab is running it. */
async function markInterrupted(store: LabStore, id: string): Promise<void> {
  const r = await store.getRun(id); // read again under the lock: its tab may have ended it meanwhile
  if (!r || !OPEN.includes(r.status)) return;
  const error = 'The page was closed or reloaded while the run was loaded; its checkpoints so far are kept.';
  await store.putRun({ ...r, status: 'interrupted', error });
}

/**
 * Open runs (created, running, paused) that this tab does not own: one whose lock is free was left by a
 * page that closed, and is marked interrupted; one whose lock another tab holds is running there, listed in
 * `runsElsewhere` until that tab lets go of it (then it is marked, if that tab closed mid-run).
 */
export async function markInterruptedRuns(): Promise<void> {
  const store = await labStore();
  let marked = false;
  for (const r of await store.listRuns()) {
    if (!OPEN.includes(r.status) || r.id === owned?.runId || watched.has(r.id)) continue;
    watched.add(r.id);
    if (await ifRunFree(r.id, () => markInterrupted(store, r.id))) {
      watched.delete(r.id);
      marked = true;
      continue;
    }
    set((s) => ({ runsElsewhere: [...s.runsElsewhere, r.id] }));
    void whenRunFree(r.id, () => markInterrupted(store, r.id)).then(async () => {
      watched.delete(r.id);
      set((s) => ({ runsElsewhere: s.runsElsewhere.filter((x) => x !== r.id) }));
      await refreshLibrary();
    });
  }
  if (marked) await refreshLibrary();
}

// Actions of the Train page's run: start, play, pause, one step, stop; and the worker's run events,
// booked into storage (through the same run recorder as the CLI) and into the store, in arrival order.
import type { GrpoStepReport } from '../train/grpo_step';
import type { RunRecord, RunStatus } from '../train/lab_store';
import type { RunConfig } from '../train/run_config';
import { createRunRecorder, newRunRecord, type RunRecorder } from '../train/run_recorder';
import { getEngine } from '../worker/client';
import type { WorkerEvent } from '../worker/protocol';
import { labStore } from './lab';
import { refreshLibrary, reportStorageError } from './library_actions';
import { useAppStore } from './store';
import { formatHash, type Page } from './url';

/** GRPO step reports kept in memory for the live run; older ones are read back from storage. */
export const REPORTS_IN_MEMORY = 30;
/** Progress samples behind the ETA (a sliding window over the current phase). */
const ETA_WINDOW = 20;

let recorder: RunRecorder | null = null;
let booking: Promise<void> = Promise.resolve();
const set = useAppStore.setState;
const get = useAppStore.getState;

const fail = (e: unknown) => set({ runError: (e as Error).message ?? String(e), busy: false });

/** Runs a control call with `busy` set, turning a refusal into the page's error line. */
async function control(work: () => Promise<void>): Promise<void> {
  set({ busy: true, runError: null });
  try {
    await work();
    set({ busy: false });
  } catch (e) {
    fail(e);
  }
}

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

const newRunId = () => `run-${new Date().toISOString().replace(/[:.]/g, '-')}`;

/** Starts a run with the draft settings (and the chosen start checkpoint and GRPO dataset), then plays it. */
export function startRun(): Promise<void> {
  return control(async () => {
    const s = get();
    if (s.live) throw new Error('A run is loaded; stop it before starting another');
    const store = await labStore();
    const init = s.initCheckpoint ? await store.checkpointFiles(s.initCheckpoint) : undefined;
    if (s.initCheckpoint && !init) throw new Error(`Checkpoint ${s.initCheckpoint} is no longer in storage`);
    const grpoPairs = s.grpoDataset ? await store.datasetPairs(s.grpoDataset) : undefined;
    if (s.grpoDataset && !grpoPairs) throw new Error(`Dataset ${s.grpoDataset} is no longer in storage`);
    const config = structuredClone(s.draft);
    const run = newRunRecord(newRunId(), config, { init: s.initCheckpoint, backend: s.backend?.name ?? null });
    if (s.grpoDataset)
      run.notes.push(`GRPO on dataset ${s.grpoDataset} (${grpoPairs!.length} pairs) instead of the synthetic world's`);
    recorder = createRunRecorder(store, run);
    await store.putRun(run);
    set({ run: { ...run }, live: true, metrics: [], reports: [], storedSteps: [], selectedStep: null, samples: [] });
    await getEngine().startRun({ runId: run.id, config, init: init ?? undefined, grpoPairs: grpoPairs ?? undefined });
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

/** Runs left running, paused or created by a page that closed can no longer go on: say so. */
export async function markInterruptedRuns(): Promise<void> {
  const store = await labStore();
  const open: RunStatus[] = ['created', 'running', 'paused'];
  for (const r of await store.listRuns()) {
    if (!open.includes(r.status)) continue;
    const marked: RunRecord = {
      ...r,
      status: 'interrupted',
      error: 'The page was closed or reloaded while the run was loaded; its checkpoints so far are kept.',
    };
    await store.putRun(marked);
  }
}

// Books a pipeline's events into a LabStore: metrics rows, GRPO step reports, evaluations, checkpoints with
// their resume snapshots, and the run record's phase, progress, notes, status and resume point. The CLI
// (file store) and the page (IndexedDB, events from the worker) both record runs through it, so a run
// folder and a browser run hold the same.
import type { CheckpointFiles } from '../engine/checkpoint';
import { checkpointContents } from '../engine/checkpoint';
import { CHECKPOINT_ADAPTER_FILES } from '../engine/hf/peft';
import {
  filesBytes,
  runCheckpointId,
  type CheckpointMeta,
  type LabStore,
  type RewindPoint,
  type RunRecord,
  type RunStatus,
} from './lab_store';
import { phasesOf, type CheckpointEvent, type PipelineEvent, type PhaseProgress } from './pipeline';
import { encodeSnapshot } from './resume';
import type { RunConfig } from './run_config';

export function newRunRecord(
  id: string,
  config: RunConfig,
  opts: {
    name?: string;
    init?: string | null;
    backend?: string | null;
    kernels?: string | null;
    backendChoice?: string | null; // which backend and why (engine/backend_choice.ts), with the estimate
    now?: number;
    grpoDataset?: RunRecord['grpoDataset'];
    distillDataset?: RunRecord['distillDataset'];
    model?: RunRecord['model'];
  } = {},
): RunRecord {
  const now = opts.now ?? Date.now();
  return {
    id,
    name: opts.name ?? `${opts.model?.name ?? config.preset} ${config.stage} seed ${config.seed}`,
    createdAt: now,
    updatedAt: now,
    config,
    init: opts.init ?? null,
    backend: opts.backend ?? null,
    status: 'created',
    phase: phasesOf(config.stage)[0],
    progress: [],
    evals: [],
    // which backend and ops ran, and why (engine/backend_choice.ts, engine/kernel_choice.ts)
    notes: [
      ...(opts.backendChoice ? [`Backend: ${opts.backendChoice}`] : []),
      ...(opts.kernels ? [`Kernels: ${opts.kernels}`] : []),
    ],
    error: null,
    grpoDataset: opts.grpoDataset ?? null,
    ...(opts.distillDataset ? { distillDataset: opts.distillDataset } : {}),
    ...(opts.model ? { model: opts.model } : {}),
  };
}

/** A checkpoint's metadata from its files (parameter count and a one-line summary). */
export function checkpointMeta(
  files: CheckpointFiles,
  m: Omit<CheckpointMeta, 'bytes' | 'parameters' | 'summary'>,
): CheckpointMeta {
  const { config: cfg, parameters } = checkpointContents(files); // ours or a real model's (HF layout)
  return {
    ...m,
    bytes: filesBytes(files),
    parameters,
    adapter: CHECKPOINT_ADAPTER_FILES.every((f) => files[f] instanceof Uint8Array),
    summary:
      `${cfg.num_hidden_layers} layers, ${cfg.hidden_size} hidden, ` +
      `${cfg.num_attention_heads} heads, context ${cfg.max_position_embeddings}`,
  };
}

export interface RunRecorder {
  readonly run: RunRecord;
  /** Stores what the events carry and updates the run record; returns the ids of checkpoints saved. */
  record(events: PipelineEvent[], progress?: PhaseProgress[]): Promise<string[]>;
  setStatus(status: RunStatus, error?: string | null): Promise<void>;
  /** Before a resume: drops what was logged past its point, in storage and in the record's evaluations. */
  rewind(to: RewindPoint): Promise<void>;
}

export function createRunRecorder(store: LabStore, run: RunRecord, now: () => number = Date.now): RunRecorder {
  /** The checkpoint, then its resume snapshot (a resume checks that the two still match). */
  const saveCheckpoint = async ({ name, files, step, phase, resume }: CheckpointEvent) => {
    const id = runCheckpointId(run.id, name);
    await store.putCheckpoint(
      checkpointMeta(files, { id, name, runId: run.id, source: 'run', createdAt: now(), step, phase }),
      files,
    );
    if (resume) {
      await store.putResumeSnapshot(run.id, encodeSnapshot(resume));
      run.resumeFrom = { phase: resume.state.phase, steps: resume.state.steps };
    }
    return id;
  };
  const touch = async () => {
    run.updatedAt = now();
    await store.putRun(run);
  };
  return {
    run,
    async record(events, progress) {
      const saved: string[] = [];
      const rows = events.flatMap((e) => (e.kind === 'metrics' ? [e.row] : []));
      if (rows.length) await store.appendMetrics(run.id, rows);
      for (const e of events) {
        switch (e.kind) {
          case 'grpo-step':
            await store.putStepReport(run.id, e.report);
            break;
          case 'eval': {
            await store.putEval(run.id, e.after, e.report);
            const r = e.report;
            run.evals = [
              ...run.evals.filter((x) => x.after !== e.after),
              {
                after: e.after,
                accuracy: r.overall.accuracy,
                positionConsistency: r.positionConsistency,
                unparseable: r.unparseableRate,
                perCategory: Object.fromEntries(Object.entries(r.perCategory).map(([c, a]) => [c, a.accuracy])),
              },
            ];
            break;
          }
          case 'checkpoint':
            saved.push(await saveCheckpoint(e));
            break;
          case 'phase':
            run.phase = e.phase;
            break;
          case 'note':
            run.notes = [...run.notes, e.message];
            break;
          case 'grpo-pool':
            run.grpoPool = e.pool;
            break;
          default:
            break;
        }
      }
      if (progress) run.progress = progress;
      if (run.phase === 'done') run.status = 'done';
      await touch();
      return saved;
    },
    async setStatus(status, error = null) {
      run.status = status;
      run.error = error;
      await touch();
    },
    async rewind(to) {
      await store.rewindRun(run.id, to);
      run.evals = run.evals.filter((e) => to.evals.includes(e.after));
      await touch();
    },
  };
}

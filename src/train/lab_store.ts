// The one storage interface of Rubric Lab: runs (config, status, metrics rows, GRPO step reports,
// evaluation reports, the resume snapshot), checkpoints (the three files, a real model's tokenizer files, a LoRA
// run's PEFT adapter) and datasets (pairs). Two persistent
// implementations: IndexedDB in the browser (state/lab_store_idb.ts) and folders of files in Node
// (train/lab_store_node.ts); `createMemoryStore` here is the reference the tests hold both to.
// Leaves out what is stored when (the pipeline's host decides) and any UI state.
import type { CheckpointFiles } from '../engine/checkpoint';
import type { EvalReport } from './evaluate';
import type { GrpoStepReport } from './grpo_types';
import type { GrpoPoolRecord } from './grpo_pool';
import type { MetricsRow, Phase, PhaseProgress } from './pipeline';
import type { ResumeFiles } from './resume';
import { type RunConfig, withCompleteConfig } from './run_config';
import type { Pair } from '../rm/pair';

export type RunStatus = 'created' | 'running' | 'paused' | 'stopped' | 'done' | 'failed' | 'interrupted';

export interface EvalSummary {
  after: 'sft' | 'grpo';
  accuracy: number;
  perCategory: Record<string, number>;
  positionConsistency: number;
  unparseable: number;
}

export interface RunRecord {
  id: string;
  name: string;
  createdAt: number; // ms since the epoch
  updatedAt: number;
  config: RunConfig; // everything needed to reproduce it, seed included
  init: string | null; // checkpoint id the model started from (a cached real model's: 'model:<cache id>'); null = fresh
  backend: string | null;
  status: RunStatus;
  phase: Phase;
  progress: PhaseProgress[];
  evals: EvalSummary[];
  notes: string[];
  error: string | null;
  /** The dataset GRPO ran on instead of the world (null: the world); absent in records older than it. */
  grpoDataset?: { id: string; name: string } | null;
  /** The dataset whose traced pairs it distilled on instead of the world's (pipeline.ts's tracedExamples). */
  distillDataset?: { id: string; name: string } | null;
  /** The real model of the browser's model cache it trained (its cache id and name); absent for our models. */
  model?: { id: string; name: string } | null;
  /** Which pairs GRPO drew from, so an export rebuilds exactly them (train/grpo_pool.ts). */
  grpoPool?: GrpoPoolRecord;
  /** Where its stored resume snapshot goes on from (train/resume.ts); absent while it has none. */
  resumeFrom?: { phase: Phase; steps: { sft: number; grpo: number } } | null;
}

/** What a run keeps when it goes on from a resume snapshot: the rows of each stage up to its step count, and
 * the evaluations finished before the snapshot's phase; the rest is dropped, so nothing is logged twice. */
export interface RewindPoint {
  sft: number;
  grpo: number;
  evals: ('sft' | 'grpo')[];
}

export const keptAfterRewind = (row: MetricsRow, to: RewindPoint): boolean =>
  row.stage === 'eval' ? to.evals.includes(row.after as 'sft' | 'grpo') : row.step <= to[row.stage];

export interface CheckpointMeta {
  id: string;
  name: string; // 'sft', 'grpo', 'latest', 'stopped', or the imported folder's name
  runId: string | null;
  source: 'run' | 'import' | 'builtin';
  createdAt: number;
  step: number | null;
  phase: Phase | null;
  bytes: number; // the three files together
  parameters: number;
  summary: string; // e.g. "tiny: 4 layers, 64 hidden, context 256"
  /** A LoRA run's: it also holds the adapter as PEFT writes it (adapter/; absent in records older than it). */
  adapter?: boolean;
}

export interface DatasetMeta {
  id: string;
  name: string;
  source: 'import' | 'synthetic' | 'labels';
  format: string | null; // the importer's format for imports
  createdAt: number;
  updatedAt: number;
  count: number;
}

export interface StorageUsage {
  usedBytes: number;
  quotaBytes: number | null;
}

/** Thrown when the browser's storage quota is full: the message says what to delete. */
export class StorageFullError extends Error {
  constructor(what: string) {
    super(
      `Storage is full: could not save ${what}. Delete old runs, checkpoints or datasets on the Runs and Data ` +
        `pages, or allow this site more storage.`,
    );
    this.name = 'StorageFullError';
  }
}

export interface LabStore {
  putRun(run: RunRecord): Promise<void>;
  getRun(id: string): Promise<RunRecord | null>;
  listRuns(): Promise<RunRecord[]>; // newest first
  /** Deletes the run with its metrics, step reports, evaluations and checkpoints. */
  deleteRun(id: string): Promise<void>;

  appendMetrics(runId: string, rows: MetricsRow[]): Promise<void>;
  metrics(runId: string): Promise<MetricsRow[]>; // in the order appended

  putStepReport(runId: string, report: GrpoStepReport): Promise<void>;
  stepReport(runId: string, step: number): Promise<GrpoStepReport | null>;
  stepReports(runId: string): Promise<number[]>; // the steps stored, ascending

  putEval(runId: string, after: 'sft' | 'grpo', report: EvalReport): Promise<void>;
  getEval(runId: string, after: 'sft' | 'grpo'): Promise<EvalReport | null>;

  /** The run's resume snapshot: one per run, replaced whole by the next. */
  putResumeSnapshot(runId: string, files: ResumeFiles): Promise<void>;
  resumeSnapshot(runId: string): Promise<ResumeFiles | null>;
  /** Drops the metrics rows, GRPO step reports and evaluations a resume from `to` would log again. */
  rewindRun(runId: string, to: RewindPoint): Promise<void>;

  putCheckpoint(meta: CheckpointMeta, files: CheckpointFiles): Promise<void>;
  checkpointFiles(id: string): Promise<CheckpointFiles | null>;
  listCheckpoints(): Promise<CheckpointMeta[]>; // newest first
  deleteCheckpoint(id: string): Promise<void>;

  putDataset(meta: DatasetMeta, pairs: Pair[]): Promise<void>;
  datasetPairs(id: string): Promise<Pair[] | null>;
  listDatasets(): Promise<DatasetMeta[]>; // newest first
  deleteDataset(id: string): Promise<void>;

  usage(): Promise<StorageUsage>;
}

/** The id under which a run's checkpoint `name` ('latest', 'sft', …) is stored. */
export const runCheckpointId = (runId: string, name: string) => `${runId}-${name}`;

export const filesBytes = (files: CheckpointFiles) => Object.values(files).reduce((n, f) => n + f.byteLength, 0);

const newestFirst = <T extends { createdAt: number }>(xs: T[]) => xs.sort((a, b) => b.createdAt - a.createdAt);

/** In memory, for tests and for browsers without IndexedDB (the UI says nothing will persist). */
export function createMemoryStore(): LabStore {
  const runs = new Map<string, RunRecord>();
  const metrics = new Map<string, MetricsRow[]>();
  const reports = new Map<string, Map<number, GrpoStepReport>>();
  const evals = new Map<string, EvalReport>();
  const snapshots = new Map<string, ResumeFiles>();
  const ckpts = new Map<string, { meta: CheckpointMeta; files: CheckpointFiles }>();
  const datasets = new Map<string, { meta: DatasetMeta; pairs: Pair[] }>();
  const copy = <T>(x: T): T => structuredClone(x);
  return {
    async putRun(r) {
      runs.set(r.id, copy(r));
    },
    async getRun(id) {
      return withCompleteConfig(copy(runs.get(id) ?? null));
    },
    async listRuns() {
      return newestFirst([...runs.values()].map((r) => withCompleteConfig(copy(r))!));
    },
    async deleteRun(id) {
      runs.delete(id);
      metrics.delete(id);
      reports.delete(id);
      evals.delete(`${id}/sft`);
      evals.delete(`${id}/grpo`);
      snapshots.delete(id);
      for (const [k, c] of ckpts) if (c.meta.runId === id) ckpts.delete(k);
    },
    async appendMetrics(runId, rows) {
      metrics.set(runId, [...(metrics.get(runId) ?? []), ...copy(rows)]);
    },
    async metrics(runId) {
      return copy(metrics.get(runId) ?? []);
    },
    async putStepReport(runId, r) {
      if (!reports.has(runId)) reports.set(runId, new Map());
      reports.get(runId)!.set(r.step, copy(r));
    },
    async stepReport(runId, step) {
      return copy(reports.get(runId)?.get(step) ?? null);
    },
    async stepReports(runId) {
      return [...(reports.get(runId)?.keys() ?? [])].sort((a, b) => a - b);
    },
    async putEval(runId, after, r) {
      evals.set(`${runId}/${after}`, copy(r));
    },
    async getEval(runId, after) {
      return copy(evals.get(`${runId}/${after}`) ?? null);
    },
    async putResumeSnapshot(runId, files) {
      snapshots.set(runId, copy(files));
    },
    async resumeSnapshot(runId) {
      return copy(snapshots.get(runId) ?? null);
    },
    async rewindRun(runId, to) {
      metrics.set(
        runId,
        (metrics.get(runId) ?? []).filter((r) => keptAfterRewind(r, to)),
      );
      for (const step of reports.get(runId)?.keys() ?? []) if (step > to.grpo) reports.get(runId)!.delete(step);
      for (const after of ['sft', 'grpo'] as const) if (!to.evals.includes(after)) evals.delete(`${runId}/${after}`);
    },
    async putCheckpoint(meta, files) {
      ckpts.set(meta.id, { meta: copy(meta), files: copy(files) });
    },
    async checkpointFiles(id) {
      return copy(ckpts.get(id)?.files ?? null);
    },
    async listCheckpoints() {
      return newestFirst([...ckpts.values()].map((c) => copy(c.meta)));
    },
    async deleteCheckpoint(id) {
      ckpts.delete(id);
    },
    async putDataset(meta, pairs) {
      datasets.set(meta.id, { meta: copy(meta), pairs: copy(pairs) });
    },
    async datasetPairs(id) {
      return copy(datasets.get(id)?.pairs ?? null);
    },
    async listDatasets() {
      return newestFirst([...datasets.values()].map((d) => copy(d.meta)));
    },
    async deleteDataset(id) {
      datasets.delete(id);
    },
    async usage() {
      const json = (x: unknown) => JSON.stringify(x).length;
      let used = 0;
      for (const c of ckpts.values()) used += filesBytes(c.files);
      for (const d of datasets.values()) used += json(d.pairs);
      for (const m of metrics.values()) used += json(m);
      return { usedBytes: used, quotaBytes: null };
    },
  };
}

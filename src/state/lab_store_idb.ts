// The LabStore in IndexedDB (through `idb`), so runs, checkpoints, step reports, resume snapshots and
// datasets survive a reload. One database, an object store per kind; large values (checkpoint files, dataset
// pairs) live apart from their small metadata so listing stays cheap. A full quota becomes a StorageFullError.
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { CheckpointFiles } from '../engine/checkpoint';
import type { Pair } from '../rm/pair';
import type { EvalReport } from '../train/evaluate';
import { upgradeStepReport, type GrpoStepReport, type StepReportV1 } from '../train/grpo_types';
import {
  keptAfterRewind,
  StorageFullError,
  type CheckpointMeta,
  type DatasetMeta,
  type LabStore,
  type RunRecord,
} from '../train/lab_store';
import type { MetricsRow } from '../train/pipeline';
import type { ResumeFiles } from '../train/resume';
import { withCompleteConfig } from '../train/run_config';

interface LabDB extends DBSchema {
  runs: { key: string; value: RunRecord };
  metrics: { key: number; value: { runId: string; row: MetricsRow }; indexes: { runId: string } };
  reports: { key: [string, number]; value: { runId: string; step: number; report: GrpoStepReport } };
  evals: { key: string; value: EvalReport };
  checkpoints: { key: string; value: CheckpointMeta; indexes: { runId: string } };
  checkpointFiles: { key: string; value: CheckpointFiles };
  datasets: { key: string; value: DatasetMeta };
  datasetPairs: { key: string; value: Pair[] };
  resume: { key: string; value: ResumeFiles }; // by run id
}

export const DB_NAME = 'rubric-lab';
// 2: GRPO step reports count steps from 1 (version 1's are renumbered on opening); 3: resume snapshots
const VERSION = 3;

async function guard<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name === 'QuotaExceededError' || /quota/i.test(String((e as Error).message))) throw new StorageFullError(what);
    throw e;
  }
}

const newestFirst = <T extends { createdAt: number }>(xs: T[]) => xs.sort((a, b) => b.createdAt - a.createdAt);
const stepRange = (runId: string) => IDBKeyRange.bound([runId, -Infinity], [runId, Infinity]);

/**
 * Version 1 → 2: each GRPO step report moves to its 1-based key, upgraded with its run's reward scaling.
 * From the highest key down, so the key a report moves to was already vacated.
 */
async function renumberStepReports(tx: IDBPTransaction<LabDB, StoreNames<LabDB>[], 'versionchange'>) {
  const runs = await tx.objectStore('runs').getAll();
  const scaling = new Map(runs.map((r) => [r.id, r.config?.grpo?.scaleRewards]));
  const reports = tx.objectStore('reports');
  for (let c = await reports.openCursor(null, 'prev'); c; c = await c.continue()) {
    const stored: GrpoStepReport | StepReportV1 = c.value.report;
    const report = upgradeStepReport(stored, scaling.get(c.value.runId));
    await c.delete();
    await reports.put({ runId: c.value.runId, step: report.step, report });
  }
}

export async function openLabStore(name = DB_NAME): Promise<LabStore> {
  const upgrade: { error?: Error } = {};
  const db: IDBPDatabase<LabDB> = await openDB<LabDB>(name, VERSION, {
    upgrade(d, oldVersion, _newVersion, tx) {
      if (oldVersion < 1) {
        d.createObjectStore('runs', { keyPath: 'id' });
        d.createObjectStore('metrics', { autoIncrement: true }).createIndex('runId', 'runId');
        d.createObjectStore('reports', { keyPath: ['runId', 'step'] });
        d.createObjectStore('evals');
        d.createObjectStore('checkpoints', { keyPath: 'id' }).createIndex('runId', 'runId');
        d.createObjectStore('checkpointFiles');
        d.createObjectStore('datasets', { keyPath: 'id' });
        d.createObjectStore('datasetPairs');
      }
      if (oldVersion < 3) d.createObjectStore('resume');
      if (oldVersion === 1) {
        // a failure aborts the whole upgrade: the database stays as it was, nothing lost, and openDB's
        // rejection carries the reason (so the transaction's own rejection needs no handler of its own)
        tx.done.catch(() => undefined);
        renumberStepReports(tx).catch((e: Error) => {
          upgrade.error = e;
          try {
            tx.abort();
          } catch {
            // a failed request has aborted it already
          }
        });
      }
    },
  }).catch((e) => {
    if (!upgrade.error) throw e;
    throw new Error(`upgrading the stored GRPO step reports failed, nothing was changed: ${upgrade.error.message}`);
  });

  return {
    putRun: (r) =>
      guard(`run "${r.name}"`, async () => {
        await db.put('runs', r);
      }),
    getRun: async (id) => withCompleteConfig(await db.get('runs', id)),
    listRuns: async () => newestFirst((await db.getAll('runs')).map((r) => withCompleteConfig(r)!)),
    async deleteRun(id) {
      const stores = ['runs', 'metrics', 'reports', 'evals', 'checkpoints', 'checkpointFiles', 'resume'] as const;
      const tx = db.transaction(stores, 'readwrite');
      await tx.objectStore('runs').delete(id);
      await tx.objectStore('resume').delete(id);
      for (const key of await tx.objectStore('metrics').index('runId').getAllKeys(id))
        await tx.objectStore('metrics').delete(key);
      await tx.objectStore('reports').delete(stepRange(id));
      await tx.objectStore('evals').delete(`${id}/sft`);
      await tx.objectStore('evals').delete(`${id}/grpo`);
      for (const key of await tx.objectStore('checkpoints').index('runId').getAllKeys(id)) {
        await tx.objectStore('checkpoints').delete(key);
        await tx.objectStore('checkpointFiles').delete(key);
      }
      await tx.done;
    },

    appendMetrics: (runId, rows) =>
      guard('metrics', async () => {
        const tx = db.transaction('metrics', 'readwrite');
        for (const row of rows) await tx.store.add({ runId, row });
        await tx.done;
      }),
    metrics: async (runId) => (await db.getAllFromIndex('metrics', 'runId', runId)).map((x) => x.row),

    putStepReport: (runId, report) =>
      guard(`GRPO step ${report.step}`, async () => {
        await db.put('reports', { runId, step: report.step, report });
      }),
    stepReport: async (runId, step) => (await db.get('reports', [runId, step]))?.report ?? null,
    stepReports: async (runId) => (await db.getAllKeys('reports', stepRange(runId))).map((k) => k[1]),

    putEval: (runId, after, report) =>
      guard(`the evaluation after ${after}`, async () => {
        await db.put('evals', report, `${runId}/${after}`);
      }),
    getEval: async (runId, after) => (await db.get('evals', `${runId}/${after}`)) ?? null,

    putResumeSnapshot: (runId, files) =>
      guard('the resume snapshot', async () => {
        await db.put('resume', files, runId);
      }),
    resumeSnapshot: async (runId) => (await db.get('resume', runId)) ?? null,
    async rewindRun(runId, to) {
      const tx = db.transaction(['metrics', 'reports', 'evals'], 'readwrite');
      const index = tx.objectStore('metrics').index('runId');
      for (let c = await index.openCursor(runId); c; c = await c.continue())
        if (!keptAfterRewind(c.value.row, to)) await c.delete();
      await tx.objectStore('reports').delete(IDBKeyRange.bound([runId, to.grpo], [runId, Infinity], true));
      for (const after of ['sft', 'grpo'] as const)
        if (!to.evals.includes(after)) await tx.objectStore('evals').delete(`${runId}/${after}`);
      await tx.done;
    },

    putCheckpoint: (meta, files) =>
      guard(`checkpoint "${meta.name}"`, async () => {
        const tx = db.transaction(['checkpoints', 'checkpointFiles'], 'readwrite');
        await tx.objectStore('checkpointFiles').put(files, meta.id);
        await tx.objectStore('checkpoints').put(meta);
        await tx.done;
      }),
    checkpointFiles: async (id) => (await db.get('checkpointFiles', id)) ?? null,
    listCheckpoints: async () => newestFirst(await db.getAll('checkpoints')),
    async deleteCheckpoint(id) {
      const tx = db.transaction(['checkpoints', 'checkpointFiles'], 'readwrite');
      await tx.objectStore('checkpoints').delete(id);
      await tx.objectStore('checkpointFiles').delete(id);
      await tx.done;
    },

    putDataset: (meta, pairs) =>
      guard(`dataset "${meta.name}"`, async () => {
        const tx = db.transaction(['datasets', 'datasetPairs'], 'readwrite');
        await tx.objectStore('datasetPairs').put(pairs, meta.id);
        await tx.objectStore('datasets').put(meta);
        await tx.done;
      }),
    datasetPairs: async (id) => (await db.get('datasetPairs', id)) ?? null,
    listDatasets: async () => newestFirst(await db.getAll('datasets')),
    async deleteDataset(id) {
      const tx = db.transaction(['datasets', 'datasetPairs'], 'readwrite');
      await tx.objectStore('datasets').delete(id);
      await tx.objectStore('datasetPairs').delete(id);
      await tx.done;
    },

    async usage() {
      const est = await globalThis.navigator?.storage?.estimate?.();
      return { usedBytes: est?.usage ?? 0, quotaBytes: est?.quota ?? null };
    },
  };
}

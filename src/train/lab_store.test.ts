// One contract for the three LabStore implementations (memory, IndexedDB through fake-indexeddb, files
// in a temp folder): what is put comes back equal (checkpoint bytes exactly), lists are newest first,
// metrics keep their order, step reports are found by step, deleting a run takes its data and its
// checkpoints with it, and a full quota becomes a StorageFullError that says what to do.
import 'fake-indexeddb/auto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLabStore } from '../state/lab_store_idb';
import type { Pair } from '../rm/pair';
import type { EvalReport } from './evaluate';
import type { GrpoStepReport } from './grpo_step';
import {
  createMemoryStore,
  StorageFullError,
  type CheckpointMeta,
  type DatasetMeta,
  type LabStore,
  type RunRecord,
} from './lab_store';
import { createFileStore } from './lab_store_node';
import { RUN_DEFAULTS } from './run_config';

const tmp = mkdtempSync(join(tmpdir(), 'lab-store-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let dbCount = 0;

const IMPLEMENTATIONS: [string, () => Promise<LabStore>][] = [
  ['memory', async () => createMemoryStore()],
  ['indexeddb', () => openLabStore(`test-${dbCount++}`)],
  ['files', async () => createFileStore(join(tmp, `store-${dbCount++}`))],
];

const run = (id: string, createdAt: number): RunRecord => ({
  id,
  name: `run ${id}`,
  createdAt,
  updatedAt: createdAt,
  config: structuredClone(RUN_DEFAULTS),
  init: null,
  backend: 'wasm',
  status: 'running',
  phase: 'sft',
  progress: [{ phase: 'sft', done: 1, total: 9 }],
  evals: [],
  notes: [],
  error: null,
});
const ckpt = (id: string, runId: string | null, createdAt: number): CheckpointMeta => ({
  id,
  name: runId ? `sft-${id}` : id,
  runId,
  source: runId ? 'run' : 'import',
  createdAt,
  step: 3,
  phase: 'sft',
  bytes: 6,
  parameters: 2,
  summary: 'nano',
});
const files = (seed: number) => ({
  'config.json': new Uint8Array([seed, 1]),
  'model.safetensors': new Uint8Array([seed, 2, 255]),
  'tokenizer.json': new Uint8Array([seed]),
});
const report = (step: number) => ({ step, metrics: { reward: step / 10 }, seconds: 1 }) as unknown as GrpoStepReport;
const pair = (i: number): Pair => ({
  id: `p${i}`,
  prompt: `Q${i} "quoted" \n line`,
  a: 'x',
  b: 'y',
  winner: i % 2 ? 'A' : 'B',
  category: 'chat',
  source: 'test',
});

describe.each(IMPLEMENTATIONS)('LabStore (%s)', (_, open) => {
  it('keeps runs, metrics in order, step reports by step and evaluations', async () => {
    const s = await open();
    await s.putRun(run('r1', 1));
    await s.putRun(run('r2', 2));
    const updated = { ...run('r1', 1), status: 'done' as const };
    await s.putRun(updated);
    expect((await s.listRuns()).map((r) => r.id)).toEqual(['r2', 'r1']);
    expect(await s.getRun('r1')).toEqual(updated);
    expect(await s.getRun('nope')).toBeNull();

    await s.appendMetrics('r1', [{ stage: 'sft', step: 1, elapsed: 0.5, loss: 3 }]);
    await s.appendMetrics('r2', [{ stage: 'sft', step: 1, elapsed: 1, loss: 9 }]);
    await s.appendMetrics('r1', [
      { stage: 'sft', step: 2, elapsed: 1, loss: 2 },
      { stage: 'grpo', step: 1, elapsed: 2, reward: -0.5 },
    ]);
    expect((await s.metrics('r1')).map((r) => `${r.stage}${r.step}`)).toEqual(['sft1', 'sft2', 'grpo1']);

    for (const step of [2, 0, 1]) await s.putStepReport('r1', report(step));
    await s.putStepReport('r2', report(7));
    expect(await s.stepReports('r1')).toEqual([0, 1, 2]);
    expect(await s.stepReport('r1', 1)).toEqual(report(1));
    expect(await s.stepReport('r1', 9)).toBeNull();

    const ev = { model: 'm', overall: { correct: 1, total: 2, accuracy: 0.5 } } as unknown as EvalReport;
    await s.putEval('r1', 'sft', ev);
    expect(await s.getEval('r1', 'sft')).toEqual(ev);
    expect(await s.getEval('r1', 'grpo')).toBeNull();
  });

  it('keeps checkpoint bytes exactly, and deleting a run takes its data and checkpoints', async () => {
    const s = await open();
    await s.putRun(run('r1', 1));
    await s.putCheckpoint(ckpt('c1', 'r1', 5), files(1));
    await s.putCheckpoint(ckpt('c2', null, 6), files(2));
    expect((await s.listCheckpoints()).map((c) => c.id)).toEqual(['c2', 'c1']);
    const back = (await s.checkpointFiles('c1'))!;
    expect(Object.keys(back).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expect(Array.from(back['model.safetensors'])).toEqual([1, 2, 255]);
    await s.appendMetrics('r1', [{ stage: 'sft', step: 1, elapsed: 0, loss: 1 }]);
    await s.putStepReport('r1', report(0));
    await s.deleteRun('r1');
    expect(await s.getRun('r1')).toBeNull();
    expect(await s.metrics('r1')).toEqual([]);
    expect(await s.stepReports('r1')).toEqual([]);
    expect((await s.listCheckpoints()).map((c) => c.id)).toEqual(['c2']);
    await s.deleteCheckpoint('c2');
    expect(await s.checkpointFiles('c2')).toBeNull();
  });

  it('keeps datasets with their pairs', async () => {
    const s = await open();
    const meta = (id: string, createdAt: number): DatasetMeta => ({
      id,
      name: id,
      source: 'labels',
      format: null,
      createdAt,
      updatedAt: createdAt,
      count: 3,
    });
    await s.putDataset(meta('d1', 1), [pair(1), pair(2), pair(3)]);
    await s.putDataset(meta('d2', 2), [pair(4)]);
    expect((await s.listDatasets()).map((d) => d.id)).toEqual(['d2', 'd1']);
    expect(await s.datasetPairs('d1')).toEqual([pair(1), pair(2), pair(3)]);
    await s.deleteDataset('d1');
    expect(await s.datasetPairs('d1')).toBeNull();
    expect((await s.usage()).usedBytes).toBeGreaterThanOrEqual(0);
  });
});

describe('LabStore (indexeddb) when the quota is full', () => {
  it('turns QuotaExceededError into a StorageFullError naming what was not saved', async () => {
    const s = await openLabStore('quota-test');
    const orig = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = () => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
    try {
      const err = await s.putCheckpoint(ckpt('big', null, 1), files(9)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageFullError);
      expect((err as Error).message).toMatch(/Storage is full: could not save checkpoint "big"\. Delete old runs/);
    } finally {
      IDBObjectStore.prototype.put = orig;
    }
    expect(await s.checkpointFiles('big')).toBeNull(); // nothing half-written
  });
});

describe('LabStore (files)', () => {
  it('refuses ids that would escape its folder', async () => {
    const s = createFileStore(join(tmp, 'escape'));
    await expect(s.putRun(run('../evil', 1))).rejects.toThrow(/not a safe file name/);
    await expect(
      s.putDataset({ id: 'a/b', name: 'x', source: 'import', format: null, createdAt: 1, updatedAt: 1, count: 0 }, []),
    ).rejects.toThrow(/not a safe/);
  });
});

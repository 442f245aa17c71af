// One contract for the three LabStore implementations (memory, IndexedDB through fake-indexeddb, files
// in a temp folder): what is put comes back equal (checkpoint bytes exactly), lists are newest first,
// metrics keep their order, step reports are found by step, deleting a run takes its data and its
// checkpoints with it, and a full quota becomes a StorageFullError that says what to do. Step reports that
// older versions stored (version 1: GRPO steps counted from 0) come back renumbered from 1, with the std
// their advantages were divided by, and a report that cannot be upgraded changes nothing and says why. A
// run's resume snapshot comes back byte for byte, is replaced whole, goes with its run; a rewind keeps the
// rows up to its steps and the evaluations finished before it (issue 15.4). A version-2 IndexedDB database
// opens as version 3 with its records and a place for snapshots.
import { writeFileSync } from 'node:fs';
import 'fake-indexeddb/auto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDB } from 'idb';
import { afterAll, describe, expect, it } from 'vitest';
import { openLabStore } from '../state/lab_store_idb';
import type { Pair } from '../rm/pair';
import type { EvalReport } from './evaluate';
import { STEP_REPORT_VERSION, type GrpoStepReport, type StepReportV1 } from './grpo_types';
import {
  createMemoryStore,
  StorageFullError,
  type CheckpointMeta,
  type DatasetMeta,
  type LabStore,
  type RunRecord,
} from './lab_store';
import { createFileStore } from './lab_store_node';
import { RUN_DEFAULTS, type RunConfig } from './run_config';

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
const pair = (i: number): Pair => ({
  id: `p${i}`,
  prompt: `Q${i} "quoted" \n line`,
  a: 'x',
  b: 'y',
  winner: i % 2 ? 'A' : 'B',
  category: 'chat',
  source: 'test',
});
/** Two prompts, G = 2, rewards [1, −1] and [1, 1]: σ √2 and 0 per group, exactly 1 over the step. */
const report = (step: number): GrpoStepReport => ({
  version: STEP_REPORT_VERSION,
  step,
  sample: {
    pairs: [pair(1), pair(2)],
    promptIds: [[1], [1]],
    completions: [0, 0, 1, 1].map((group) => ({
      group,
      tokens: [5],
      pieces: ['x'],
      logps: [-1],
      text: 'x',
      stopReason: 'eos' as const,
    })),
  },
  score: { verdicts: ['A', 'B', 'B', 'B'], rewards: [1, -1, 1, 1], labels: ['A', 'B'] },
  advantages: {
    scaleRewards: 'group',
    groups: [
      { mean: 0, std: Math.SQRT2, scaledBy: Math.SQRT2, advantages: [0.7, -0.7], zeroStd: false },
      { mean: 1, std: 0, scaledBy: 0, advantages: [0, 0], zeroStd: true },
    ],
    advantages: [0.7, -0.7, 0, 0],
  },
  ref_per_token_logps: [],
  losses: [],
  updates: [],
  metrics: { reward: step / 10 },
  seconds: 1,
});
/** The same report as version 1 wrote it: no version, no scaleRewards, groups without scaledBy. */
function v1Report(step: number): StepReportV1 {
  const { version: _, advantages, ...rest } = report(step);
  const groups = advantages.groups.map(({ scaledBy: _s, ...g }) => g);
  return { ...rest, advantages: { groups, advantages: advantages.advantages } };
}

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

    for (const step of [3, 1, 2]) await s.putStepReport('r1', report(step));
    await s.putStepReport('r2', report(7));
    expect(await s.stepReports('r1')).toEqual([1, 2, 3]);
    expect(await s.stepReport('r1', 1)).toEqual(report(1));
    expect(await s.stepReport('r1', 9)).toBeNull();

    const ev: EvalReport = {
      model: 'm',
      model_type: 'Generative RM',
      overall: { correct: 1, total: 2, accuracy: 0.5 },
      perCategory: {},
      perSubset: {},
      perDifficulty: {},
      positionConsistency: 1,
      unparseableRate: 0,
      samples: 1,
      tiedVotes: 0,
      pairs: [],
    };
    await s.putEval('r1', 'sft', ev);
    expect(await s.getEval('r1', 'sft')).toEqual(ev);
    expect(await s.getEval('r1', 'grpo')).toBeNull();
  });

  it("reads a run stored before a setting existed with that setting's default; stored values win", async () => {
    const s = await open();
    const old = run('r-old', 1);
    const { lora: _, ...config } = structuredClone(old.config);
    const { microBatch: _m, recompute: _r, ...grpo } = config.grpo;
    await s.putRun({ ...old, config: { ...config, grpo: { ...grpo, beta: 0.5 } } as unknown as RunConfig });
    const got = await s.getRun('r-old');
    expect(got?.config.lora).toEqual(RUN_DEFAULTS.lora);
    expect(got?.config.grpo.microBatch).toBe(RUN_DEFAULTS.grpo.microBatch);
    expect(got?.config.grpo.recompute).toBe(RUN_DEFAULTS.grpo.recompute);
    expect(got?.config.grpo.beta).toBe(0.5);
    expect((await s.listRuns()).find((r) => r.id === 'r-old')?.config).toEqual(got?.config);
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
    await s.putStepReport('r1', report(1));
    await s.deleteRun('r1');
    expect(await s.getRun('r1')).toBeNull();
    expect(await s.metrics('r1')).toEqual([]);
    expect(await s.stepReports('r1')).toEqual([]);
    expect((await s.listCheckpoints()).map((c) => c.id)).toEqual(['c2']);
    await s.deleteCheckpoint('c2');
    expect(await s.checkpointFiles('c2')).toBeNull();
  });

  it("keeps a run's resume snapshot byte for byte, replaced whole, deleted with the run", async () => {
    const s = await open();
    await s.putRun(run('r1', 1));
    expect(await s.resumeSnapshot('r1')).toBeNull();
    const snap = {
      'resume.json': new Uint8Array([123, 125]),
      'optimizer.safetensors': new Uint8Array([0, 255, 7]),
      'adapters.safetensors': new Uint8Array([1, 2]), // a LoRA run's, and the distilled ones folded in for GRPO
      'folded_adapters.safetensors': new Uint8Array([3]),
    };
    await s.putResumeSnapshot('r1', snap);
    expect(await s.resumeSnapshot('r1')).toEqual(snap);
    await s.putResumeSnapshot('r1', { 'resume.json': new Uint8Array([1]) }); // past the stage: no optimizer
    expect(await s.resumeSnapshot('r1')).toEqual({ 'resume.json': new Uint8Array([1]) });
    await s.deleteRun('r1');
    expect(await s.resumeSnapshot('r1')).toBeNull();
  });

  it('rewinds a run to a resume point: rows up to its steps, evaluations finished before it', async () => {
    const s = await open();
    await s.putRun(run('r1', 1));
    const row = (stage: 'sft' | 'grpo', step: number) => ({ stage, step, elapsed: step, loss: step });
    await s.appendMetrics('r1', [row('sft', 1), row('sft', 2), { stage: 'eval', step: 2, elapsed: 3, after: 'sft' }]);
    await s.appendMetrics('r1', [row('grpo', 1), row('grpo', 2), row('grpo', 3)]);
    await s.appendMetrics('r2', [row('grpo', 3)]);
    for (const k of [1, 2, 3]) await s.putStepReport('r1', report(k));
    const ev = { overall: { accuracy: 0.5 } } as EvalReport;
    await s.putEval('r1', 'sft', ev);
    await s.putEval('r1', 'grpo', ev);
    await s.rewindRun('r1', { sft: 2, grpo: 1, evals: ['sft'] });
    expect((await s.metrics('r1')).map((r) => `${r.stage}${r.step}`)).toEqual(['sft1', 'sft2', 'eval2', 'grpo1']);
    expect(await s.metrics('r2')).toHaveLength(1);
    expect(await s.stepReports('r1')).toEqual([1]);
    expect(await s.getEval('r1', 'sft')).toEqual(ev);
    expect(await s.getEval('r1', 'grpo')).toBeNull();
    await s.rewindRun('r1', { sft: 1, grpo: 0, evals: [] });
    expect((await s.metrics('r1')).map((r) => `${r.stage}${r.step}`)).toEqual(['sft1']);
    expect(await s.getEval('r1', 'sft')).toBeNull();
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

describe('step reports stored by version 1 (GRPO steps counted from 0)', () => {
  const batchRun = (id: string) => {
    const r = run(id, 1);
    r.config.grpo.scaleRewards = 'batch';
    return r;
  };
  /** What version 1 (or 2: the same stores) of the IndexedDB store created, holding `reports` for runs r1
   * (batch) and r2 (group). */
  async function versionOneDb(reports: { runId: string; step: number; report: unknown }[], version = 1) {
    const name = `v${version}-${dbCount++}`;
    const db = await openDB(name, version, {
      upgrade(d) {
        d.createObjectStore('runs', { keyPath: 'id' });
        d.createObjectStore('metrics', { autoIncrement: true }).createIndex('runId', 'runId');
        d.createObjectStore('reports', { keyPath: ['runId', 'step'] });
        d.createObjectStore('evals');
        d.createObjectStore('checkpoints', { keyPath: 'id' }).createIndex('runId', 'runId');
        d.createObjectStore('checkpointFiles');
        d.createObjectStore('datasets', { keyPath: 'id' });
        d.createObjectStore('datasetPairs');
      },
    });
    await db.put('runs', batchRun('r1'));
    await db.put('runs', run('r2', 2));
    for (const r of reports) await db.put('reports', r);
    db.close();
    return name;
  }
  /** The step-1 report expected after the upgrade of version 1's step `old`, under `scaledBy` per group. */
  const upgraded = (old: number, scaleRewards: 'group' | 'batch', scaledBy: number[]): GrpoStepReport => {
    const r = report(old + 1);
    r.metrics = { reward: old / 10 }; // the content is step `old`'s: only its number moved
    r.advantages.scaleRewards = scaleRewards;
    r.advantages.groups.forEach((g, k) => {
      g.scaledBy = scaledBy[k];
    });
    return r;
  };

  it('IndexedDB: opening renumbers them from 1, with the std its run divided by (batch: 1; group: √2, 0)', async () => {
    const old = [0, 1, 2].map((step) => ({ runId: 'r1', step, report: v1Report(step) }));
    const name = await versionOneDb([...old, { runId: 'r2', step: 0, report: v1Report(0) }]);
    const s = await openLabStore(name);
    expect(await s.stepReports('r1')).toEqual([1, 2, 3]);
    expect(await s.stepReports('r2')).toEqual([1]);
    expect(await s.stepReport('r1', 1)).toEqual(upgraded(0, 'batch', [1, 1]));
    expect(await s.stepReport('r1', 3)).toEqual(upgraded(2, 'batch', [1, 1]));
    expect(await s.stepReport('r2', 1)).toEqual(upgraded(0, 'group', [Math.SQRT2, 0]));
    expect(await s.stepReport('r1', 0)).toBeNull();
    const again = await openLabStore(name); // opened once more: nothing moves twice
    expect(await again.stepReports('r1')).toEqual([1, 2, 3]);
  });

  it('IndexedDB: a report it cannot read stops the upgrade, says why, and leaves every record as it was', async () => {
    // from the highest key down: steps 2 and 1 are moved before step 0 fails, and must move back
    const name = await versionOneDb([
      { runId: 'r1', step: 0, report: { ...v1Report(0), version: 9 } },
      { runId: 'r1', step: 1, report: v1Report(1) },
      { runId: 'r1', step: 2, report: v1Report(2) },
    ]);
    await expect(openLabStore(name)).rejects.toThrow(
      /upgrading the stored GRPO step reports failed, nothing was changed: .*\(step 0\) has version 9/,
    );
    const db = await openDB(name);
    expect(db.version).toBe(1);
    expect(await db.getAllKeys('reports')).toEqual([
      ['r1', 0],
      ['r1', 1],
      ['r1', 2],
    ]);
    expect((await db.get('reports', ['r1', 2])).report).toEqual(v1Report(2));
    db.close();
  });

  it('IndexedDB: a version-2 database opens as version 3, its records kept, with a store for snapshots', async () => {
    const name = await versionOneDb(
      [1, 2].map((step) => ({ runId: 'r1', step, report: report(step) })),
      2,
    );
    const s = await openLabStore(name);
    expect(await s.stepReports('r1'), 'version 2 counts from 1 already: nothing renumbered').toEqual([1, 2]);
    expect(await s.stepReport('r1', 2)).toEqual(report(2));
    expect((await s.getRun('r1'))?.config.grpo.scaleRewards).toBe('batch');
    await s.putResumeSnapshot('r1', { 'resume.json': new Uint8Array([1]) });
    expect(await s.resumeSnapshot('r1')).toEqual({ 'resume.json': new Uint8Array([1]) });
  });

  it('files: steps.jsonl lines from version 1 are renumbered on read, beside new ones', async () => {
    const root = join(tmp, `v1-files-${dbCount++}`);
    const s = createFileStore(root);
    await s.putRun(batchRun('r1'));
    writeFileSync(join(root, 'r1', 'steps.jsonl'), [0, 1].map((k) => `${JSON.stringify(v1Report(k))}\n`).join(''));
    await s.putStepReport('r1', report(3));
    expect(await s.stepReports('r1')).toEqual([1, 2, 3]);
    expect(await s.stepReport('r1', 2)).toEqual(upgraded(1, 'batch', [1, 1]));
    expect(await s.stepReport('r1', 3)).toEqual(report(3));
    writeFileSync(join(root, 'r1', 'steps.jsonl'), `${JSON.stringify({ ...report(4), version: 9 })}\n`, {
      flag: 'a',
    });
    await expect(s.stepReports('r1')).rejects.toThrow(/step 4\) has version 9; this version of Rubric Lab reads/);
  });
});

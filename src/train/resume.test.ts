// Resume after an interruption (issue 15.4), on nano with the CPU's WASM backend: a run interrupted past a
// snapshot (the page reloaded, the process killed, or stopped) and resumed from what storage kept — the
// checkpoint, its resume snapshot and, mid-GRPO, π_ref's checkpoint — ends with the same weights as the
// uninterrupted run. Tolerance: 1e-6 absolute per weight (the same ops in the same order on one backend; the
// max difference is printed). Cases: mid-SFT from a 'latest' checkpoint through the memory store, with the
// steps past it repeated (at most checkpointEvery) and logged with the same losses; mid-GRPO from 'stopped'
// (π_ref = the run's 'sft' checkpoint) through the file store; a GRPO-only run from a start checkpoint
// (π_ref = that checkpoint). Also: the snapshot files round-trip exactly, name what is wrong with bad ones,
// say what a resume keeps of the record, and a snapshot and checkpoint saved apart are refused.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointFiles } from '../engine/checkpoint';
import { decodeCheckpoint, modelFromFiles } from '../engine/checkpoint';
import { loadCheckpointDir } from '../engine/checkpoint_node';
import { switchTestBackend } from '../engine/test_backends';
import { createMemoryStore, type CheckpointMeta, type LabStore } from './lab_store';
import { createFileStore } from './lab_store_node';
import {
  createPipeline,
  freshModel,
  worldData,
  type MetricsRow,
  type Pipeline,
  type PipelineEvent,
  type PipelineModel,
} from './pipeline';
import {
  checkSnapshotCheckpoint,
  decodeSnapshot,
  encodeSnapshot,
  loadResume,
  OPTIMIZER_FILE,
  readResumeInputs,
  rewindPoint,
  STATE_FILE,
} from './resume';
import { applyOverrides, RUN_DEFAULTS, type RunConfig } from './run_config';
import { createRunRecorder, newRunRecord } from './run_recorder';
import { freeModel as free, maxWeightDiff as maxDiff, weightsOf } from './test_weights';

const TOL = 1e-6;
// a trained nano judge to start from: its GRPO groups have mixed rewards, so GRPO moves the weights
const fixture = await loadCheckpointDir('e2e/fixtures/nano-judge');
const fromFixture = (): PipelineModel => modelFromFiles(fixture);
const tmp = mkdtempSync(join(tmpdir(), 'resume-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const run = applyOverrides(RUN_DEFAULTS, {
  preset: 'nano',
  checkpointEvery: '2',
  'world.nDistill': '20', // 12 to train on (8 held out): 3 batches of 4, × 2 epochs = 6 SFT steps
  'world.nGrpo': '3', // fewer pairs than steps: GRPO's queue runs out and its RNG reshuffles mid-run
  'world.nEval': '2',
  'sft.epochs': '2',
  'sft.batchSize': '4',
  'sft.warmupSteps': '2',
  'sft.lr': '1e-4', // the fixture judge stays a judge
  'grpo.steps': '4',
  'grpo.promptsPerStep': '2',
  'grpo.numGenerations': '4',
  'grpo.maxCompletionLength': '144', // the fixture judge finishes its judgements: rewards vary, updates happen
  'eval.maxCompletionLength': '8',
  'eval.batchSize': '8',
});

const rowsOf = (events: PipelineEvent[]) => events.flatMap((e) => (e.kind === 'metrics' ? [e.row] : []));

/** Steps to the end (or until `until` says stop after an event), booking each event into the store. */
async function drive(
  p: Pipeline,
  record: (e: PipelineEvent[]) => Promise<unknown>,
  until?: (e: PipelineEvent) => boolean,
) {
  const events: PipelineEvent[] = [];
  while (!p.done()) {
    const got = await p.step();
    events.push(...got);
    await record(got);
    if (until && got.some(until)) break;
  }
  return events;
}

/** The uninterrupted run: its final weights, its events, and its stage checkpoints' files. */
async function uninterrupted(config: RunConfig, model: PipelineModel) {
  const p = createPipeline(config, model, worldData(config));
  const events = await drive(p, async () => undefined);
  const weights = await weightsOf(model);
  p.dispose();
  free(model);
  return { weights, events };
}

/** What a page or the CLI does after a reload: read the snapshot, its checkpoint and π_ref's, and go on. */
async function resumeFromStore(store: LabStore, runId: string, config: RunConfig, start?: CheckpointFiles) {
  const record = (await store.getRun(runId))!;
  const inputs = await readResumeInputs(store, record, async () => start ?? null);
  await store.rewindRun(runId, rewindPoint(inputs.state, config.stage));
  const { model, resume } = loadResume(config, inputs);
  return { model, p: createPipeline(config, model, worldData(config), resume), state: inputs.state };
}

describe('resume a run from its snapshot (nano, WASM)', () => {
  beforeAll(() => switchTestBackend('wasm'));

  it('mid-SFT, from a latest checkpoint after a crash: the same weights, ≤ checkpointEvery steps again', async () => {
    const before = tf.memory().numTensors;
    const whole = await uninterrupted(run, fromFixture());

    const store = createMemoryStore();
    const rec = createRunRecorder(store, newRunRecord('r-sft', run));
    const model = fromFixture();
    const p = createPipeline(run, model, worldData(run));
    // past the 'latest' of SFT step 4, then one more step: the crash loses step 5
    let sawLatest = false;
    await drive(
      p,
      (e) => rec.record(e),
      (e) => {
        if (e.kind === 'checkpoint' && e.name === 'latest' && e.step === 4) sawLatest = true;
        return sawLatest && e.kind === 'metrics' && e.row.step === 5;
      },
    );
    p.dispose(); // the page is gone: nothing of the live run survives but storage
    free(model);
    expect(rec.run.resumeFrom).toEqual({ phase: 'sft', steps: { sft: 4, grpo: 0 } });

    const r = await resumeFromStore(store, 'r-sft', run);
    expect((await store.metrics('r-sft')).map((x) => x.step)).toEqual([1, 2, 3, 4]); // step 5 dropped, no twice
    const after = await drive(r.p, (e) => rec.record(e));
    const weights = await weightsOf(r.model);
    r.p.dispose();
    free(r.model);

    const resumed = rowsOf(after).filter((x) => x.stage === 'sft');
    expect(resumed.map((x) => x.step)).toEqual([5, 6]); // steps 5..6: 1 repeated (≤ checkpointEvery = 2)
    const sameStep = (x: MetricsRow) => rowsOf(whole.events).find((w) => w.stage === 'sft' && w.step === x.step)!;
    for (const x of resumed)
      expect(Math.abs(Number(x.loss) - Number(sameStep(x).loss)), `loss of step ${x.step}`).toBeLessThan(TOL);
    expect(resumed[0].elapsed).toBeGreaterThanOrEqual(r.state.elapsed);
    const stored = await store.metrics('r-sft');
    expect(stored.filter((x) => x.stage === 'sft').map((x) => x.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(stored.filter((x) => x.stage === 'grpo').map((x) => x.step)).toEqual([1, 2, 3, 4]);
    const diff = maxDiff(weights, whole.weights);
    console.log(`resume mid-SFT (latest @4 of 6, then 2 GRPO phases' worth): max |Δw| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(TOL);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('mid-GRPO, from a stopped checkpoint (π_ref = the run’s sft checkpoint): the same final weights', async () => {
    const before = tf.memory().numTensors;
    const whole = await uninterrupted(run, fromFixture());

    const store = createFileStore(join(tmp, 'runs'));
    const rec = createRunRecorder(store, newRunRecord('r-grpo', run));
    const model = fromFixture();
    const p = createPipeline(run, model, worldData(run));
    await drive(
      p,
      (e) => rec.record(e),
      (e) => e.kind === 'metrics' && e.row.stage === 'grpo' && e.row.step === 3,
    );
    await rec.record([await p.checkpoint('stopped')]); // stop after GRPO step 3: nothing to repeat
    p.dispose();
    free(model);

    const r = await resumeFromStore(store, 'r-grpo', run);
    expect(r.state).toMatchObject({ phase: 'grpo', steps: { sft: 6, grpo: 3 }, grpo: { reference: 'sft' } });
    const after = await drive(r.p, (e) => rec.record(e));
    const weights = await weightsOf(r.model);
    r.p.dispose();
    free(r.model);

    expect(
      rowsOf(after)
        .filter((x) => x.stage === 'grpo')
        .map((x) => x.step),
    ).toEqual([4]);
    expect(await store.stepReports('r-grpo')).toEqual([1, 2, 3, 4]);
    const sftEnd = whole.events.flatMap((e) => (e.kind === 'checkpoint' && e.name === 'sft' ? [e.files] : []))[0];
    const sftWeights = Object.fromEntries(
      Object.entries(decodeCheckpoint(sftEnd).tensors).map(([n, t]) => [n, t.data]),
    );
    expect(maxDiff(whole.weights, sftWeights), 'GRPO moved the weights: the test compares updates').toBeGreaterThan(0);
    const diff = maxDiff(weights, whole.weights);
    console.log(`resume mid-GRPO (stopped @3 of 4, π_ref from 'sft'): max |Δw| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(TOL);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a GRPO-only run from a start checkpoint (π_ref = that checkpoint): the same final weights', async () => {
    const grpoOnly = applyOverrides(run, { stage: 'grpo', 'grpo.steps': '5' });
    const whole = await uninterrupted(grpoOnly, fromFixture());

    const store = createMemoryStore();
    const rec = createRunRecorder(store, newRunRecord('r-start', grpoOnly, { init: 'e2e/fixtures/nano-judge' }));
    const model = fromFixture();
    const p = createPipeline(grpoOnly, model, worldData(grpoOnly));
    await drive(
      p,
      (e) => rec.record(e),
      (e) => e.kind === 'metrics' && e.row.step === 3,
    ); // latest @2, lost 3
    p.dispose();
    free(model);

    const r = await resumeFromStore(store, 'r-start', grpoOnly, fixture);
    expect(r.state).toMatchObject({ phase: 'grpo', steps: { grpo: 2 }, grpo: { reference: 'start' } });
    await drive(r.p, (e) => rec.record(e));
    const weights = await weightsOf(r.model);
    r.p.dispose();
    free(r.model);
    const diff = maxDiff(weights, whole.weights);
    console.log(`resume GRPO-only (latest @2 of 5, π_ref = the start checkpoint): max |Δw| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(TOL);
  });

  it('a GRPO-only run from fresh weights (π_ref = those weights again, from the seed): the same weights', async () => {
    // a fresh nano earns −1 everywhere (no advantage); weight decay moves the policy off π_ref, so the KL term
    // has a gradient and a wrong π_ref after the resume would move the weights elsewhere
    const fresh = applyOverrides(run, {
      stage: 'grpo',
      'grpo.maxCompletionLength': '8',
      'grpo.weightDecay': '1',
      'grpo.lr': '1e-2',
    });
    const whole = await uninterrupted(fresh, freshModel(fresh));
    const store = createMemoryStore();
    const rec = createRunRecorder(store, newRunRecord('r-fresh', fresh));
    const model = freshModel(fresh);
    const p = createPipeline(fresh, model, worldData(fresh));
    await drive(
      p,
      (e) => rec.record(e),
      (e) => e.kind === 'metrics' && e.row.step === 3,
    );
    p.dispose();
    free(model);
    const r = await resumeFromStore(store, 'r-fresh', fresh);
    await drive(r.p, (e) => rec.record(e));
    const weights = await weightsOf(r.model);
    r.p.dispose();
    free(r.model);
    const diff = maxDiff(weights, whole.weights);
    console.log(`resume GRPO-only from fresh weights (latest @2 of 4): max |Δw| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(TOL);
  });

  it('snapshot files round-trip exactly; bad ones and a checkpoint saved apart are refused, naming why', () => {
    const snap = {
      state: {
        checkpoint: { name: 'latest', phase: 'grpo' as const, step: 2 },
        phase: 'grpo' as const,
        steps: { sft: 6, grpo: 2 },
        elapsed: 12.5,
        grpo: { step: 2, rng: 123456789, order: [3, 0, 1], pairs: 'abc', reference: 'sft' as const },
      },
      optimizer: { step: 2, m: { w: new Float32Array([1, -0, 3e-39]) }, v: { w: new Float32Array([4, 5, 6]) } },
    };
    const files = encodeSnapshot(snap);
    expect(Object.keys(files).sort()).toEqual([OPTIMIZER_FILE, STATE_FILE]);
    expect(decodeSnapshot(structuredClone(files))).toEqual(snap);
    expect(Object.keys(encodeSnapshot({ ...snap, optimizer: null }))).toEqual([STATE_FILE]);

    const json = (o: object) => ({ [STATE_FILE]: new TextEncoder().encode(JSON.stringify(o)) });
    expect(() => decodeSnapshot({})).toThrow(/missing resume.json/);
    expect(() => decodeSnapshot(json({ ...snap.state, version: 9 }))).toThrow(
      /resume.json: version 9; .* reads version 1/,
    );
    expect(() => decodeSnapshot(json({ ...snap.state, version: 1, phase: 'done', steps: {} }))).toThrow(
      /phase "done" is not one of sft, eval-sft, grpo, eval-grpo; steps must hold/,
    );

    expect(rewindPoint(snap.state, 'both')).toEqual({ sft: 6, grpo: 2, evals: ['sft'] });
    expect(rewindPoint({ ...snap.state, phase: 'eval-sft' }, 'both').evals).toEqual([]);
    const meta = (step: number, phase: CheckpointMeta['phase']) => ({ step, phase }) as CheckpointMeta;
    expect(() => checkSnapshotCheckpoint(snap.state, meta(2, 'grpo'))).not.toThrow();
    expect(() => checkSnapshotCheckpoint(snap.state, meta(4, 'grpo'))).toThrow(
      /checkpoint 'latest' holds grpo step 4 but the resume snapshot is for grpo step 2/,
    );
    expect(() => checkSnapshotCheckpoint(snap.state, null)).toThrow(/'latest' .* is no longer stored/);
  });
});

// Resume of a LoRA run, on nano with the CPU's WASM backend: its checkpoints hold merged weights (W + s·B·A),
// so the snapshot keeps the adapters and names the weights under them — the run's start while distilling, its
// 'sft' checkpoint once the distilled adapters are folded in for GRPO. A run interrupted mid-SFT ('latest',
// the steps past it lost) and one stopped mid-GRPO, resumed from what the store kept, end with the same base
// weights and the same adapters as the uninterrupted run (1e-6 per value: the same ops in the same order on
// one backend), and the 'grpo' checkpoint's PEFT adapter (the distilled adapters stacked under GRPO's, kept in
// the snapshot) is the same too. Resuming from the merged checkpoint instead would count the adapters twice; a
// snapshot without its adapters, or a LoRA snapshot for a full fine-tuning run, is refused.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelFromFiles } from '../engine/checkpoint';
import { loadCheckpointDir } from '../engine/checkpoint_node';
import { isLoraName } from '../engine/lora';
import { switchTestBackend } from '../engine/test_backends';
import { createMemoryStore } from './lab_store';
import { createPipeline, worldData, type PipelineEvent, type PipelineModel } from './pipeline';
import { ADAPTERS_FILE, decodeSnapshot, encodeSnapshot, loadResume, readResumeInputs, rewindPoint } from './resume';
import { applyOverrides, RUN_DEFAULTS, type RunConfig } from './run_config';
import { createRunRecorder, newRunRecord } from './run_recorder';
import { drive, freeModel as free, grpoAdapter, maxWeightDiff, type Weights, weightsOf } from './test_weights';

const TOL = 1e-6;
const fixture = await loadCheckpointDir('e2e/fixtures/nano-judge');
const fromFixture = (): PipelineModel => modelFromFiles(fixture);

const run = applyOverrides(RUN_DEFAULTS, {
  preset: 'nano',
  checkpointEvery: '2',
  'lora.rank': '4',
  'lora.alpha': '8',
  'lora.dropout': '0.1', // seeded per SFT step: a resume must draw the same masks
  'world.nDistill': '20', // 12 to train on: 3 batches of 4, × 2 epochs = 6 SFT steps
  'world.nGrpo': '3',
  'world.nEval': '1',
  'sft.epochs': '2',
  'sft.batchSize': '4',
  'sft.warmupSteps': '2',
  'sft.lr': '1e-3',
  'grpo.steps': '3',
  'grpo.lr': '1e-2',
  'grpo.promptsPerStep': '2',
  'grpo.numGenerations': '4',
  'grpo.maxCompletionLength': '144', // the fixture judge finishes its judgements: rewards vary, updates happen
  'eval.maxCompletionLength': '8',
  'eval.batchSize': '8',
});

function maxDiff(a: Weights, b: Weights): number {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  return maxWeightDiff(a, b);
}

async function uninterrupted(config: RunConfig): Promise<{ weights: Weights; adapter: Weights }> {
  const model = fromFixture();
  const p = createPipeline(config, model, worldData(config));
  const events: PipelineEvent[] = [];
  await drive(p, async (e) => events.push(...e));
  const w = await weightsOf(model);
  p.dispose();
  free(model);
  return { weights: w, adapter: grpoAdapter(events) };
}

/** Runs until `until`, optionally saves 'stopped', then resumes from the store and runs to the end. */
async function interrupted(config: RunConfig, until: (e: PipelineEvent) => boolean, stop: boolean) {
  const store = createMemoryStore();
  const rec = createRunRecorder(store, newRunRecord('r', config, { init: 'nano-judge' }));
  const model = fromFixture();
  const p = createPipeline(config, model, worldData(config));
  await drive(p, (e) => rec.record(e), until);
  if (stop) await rec.record([await p.checkpoint('stopped')]);
  p.dispose();
  free(model);
  const inputs = await readResumeInputs(store, (await store.getRun('r'))!, async () => fixture);
  await store.rewindRun('r', rewindPoint(inputs.state, config.stage));
  const r = loadResume(config, inputs);
  const resumed = createPipeline(config, r.model, worldData(config), r.resume);
  const events: PipelineEvent[] = [];
  await drive(resumed, (e) => {
    events.push(...e);
    return rec.record(e);
  });
  const w = await weightsOf(r.model);
  resumed.dispose();
  free(r.model);
  return { weights: w, state: inputs.state, adapter: grpoAdapter(events) };
}

describe('resume a LoRA run (nano, WASM)', () => {
  beforeAll(() => switchTestBackend('wasm'));

  it('mid-SFT and mid-GRPO: the same base weights and adapters as the uninterrupted run', async () => {
    const before = tf.memory().numTensors;
    const { weights: whole, adapter } = await uninterrupted(run);
    const adapters = Object.keys(whole).filter(isLoraName);
    expect(adapters.length).toBe(7 * 2 * 2); // nano: 2 layers × 7 projections × (A, B)
    // B starts at zero when the distilled adapters are folded in: GRPO moved them, so the test compares updates
    expect(adapters.some((n) => n.endsWith('lora_B.weight') && whole[n].some((x) => x !== 0))).toBe(true);

    // the crash loses SFT step 5; the snapshot of step 4 sits on the start weights
    const sft = await interrupted(run, (e) => e.kind === 'metrics' && e.row.stage === 'sft' && e.row.step === 5, false);
    expect(sft.state).toMatchObject({ phase: 'sft', steps: { sft: 4 }, base: 'start' });
    const dSft = maxDiff(sft.weights, whole);
    // stopped after GRPO step 2 of 3: the adapters sit on the 'sft' checkpoint's weights, no reference copy
    const grpo = await interrupted(
      run,
      (e) => e.kind === 'metrics' && e.row.stage === 'grpo' && e.row.step === 2,
      true,
    );
    expect(grpo.state).toMatchObject({ phase: 'grpo', steps: { sft: 6, grpo: 2 }, base: 'sft' });
    expect(grpo.state.grpo?.reference).toBeUndefined();
    const dGrpo = maxDiff(grpo.weights, whole);
    // the 'grpo' checkpoint's adapter stacks the distilled adapters under GRPO's: the snapshot kept them
    expect(maxDiff(grpo.adapter, adapter)).toBeLessThanOrEqual(TOL);
    console.log(`LoRA resume: max |Δ| mid-SFT ${dSft.toExponential(2)}, mid-GRPO ${dGrpo.toExponential(2)}`);
    expect(dSft).toBeLessThanOrEqual(TOL);
    expect(dGrpo).toBeLessThanOrEqual(TOL);
    expect(tf.memory().numTensors).toBe(before);
  }, 600_000);

  it("adapters round-trip through the snapshot's files; one without them, or for another run, is refused", () => {
    const state = {
      checkpoint: { name: 'latest', phase: 'sft' as const, step: 2 },
      phase: 'sft' as const,
      steps: { sft: 2, grpo: 0 },
      elapsed: 1,
      base: 'start' as const,
    };
    const adapters = { 'model.layers.0.self_attn.q_proj.lora_A.weight': new Float32Array([1, -2, 3e-39]) };
    const snap = { state, optimizer: null, adapters };
    const files = encodeSnapshot(snap);
    expect(decodeSnapshot(structuredClone(files))).toEqual(snap);
    const withFolded = { state: { ...state, base: 'sft' as const }, optimizer: null, adapters, folded: adapters };
    expect(decodeSnapshot(encodeSnapshot(withFolded))).toEqual(withFolded);
    const { [ADAPTERS_FILE]: _, ...without } = files;
    expect(() => decodeSnapshot(without)).toThrow(/missing adapters.safetensors/);
    const full = applyOverrides(run, { 'lora.rank': '0' });
    const model = fromFixture();
    expect(() => createPipeline(full, model, worldData(full), snap)).toThrow(/holds LoRA adapters but this run/);
    expect(() => createPipeline(run, model, worldData(run), { state, optimizer: null })).toThrow(
      /a LoRA run needs its adapters/,
    );
    free(model);
  });
});

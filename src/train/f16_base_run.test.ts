// A LoRA run on a half-precision base (lora.base f16), end to end on nano: on WebGPU the fixture judge's
// matrices load as f16 words and stay words through distillation, the fold and GRPO; the folded base is the
// 'sft' checkpoint (merged, f32) rounded to halves, word for word, so a run stopped mid-GRPO and resumed from
// what the store kept (its base re-read from the 'sft' checkpoint) ends with the same words and adapters as the
// uninterrupted run (1e-6), and its 'grpo' checkpoint's PEFT adapter (the distilled one stacked) is the same.
// Off WebGPU the run trains on an f32 base and its notes say why.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelFromFiles } from '../engine/checkpoint';
import { loadCheckpointDir } from '../engine/checkpoint_node';
import { hasF16Weights } from '../engine/f16_weights';
import { isLoraName } from '../engine/lora';
import { switchTestBackend, testBackends } from '../engine/test_backends';
import { createMemoryStore } from './lab_store';
import { createPipeline, type PipelineEvent, worldData } from './pipeline';
import { loadResume, readResumeInputs, rewindPoint } from './resume';
import { applyOverrides, RUN_DEFAULTS, runWeights } from './run_config';
import { createRunRecorder, newRunRecord } from './run_recorder';
import { drive, grpoAdapter } from './test_weights';

const fixture = await loadCheckpointDir('e2e/fixtures/nano-judge');
const backends = await testBackends();

const run = applyOverrides(RUN_DEFAULTS, {
  preset: 'nano',
  checkpointEvery: '0',
  'lora.rank': '4',
  'lora.alpha': '8',
  'world.nDistill': '12', // 4 to train on (8 held out): one batch of 4, one SFT step
  'world.nGrpo': '2',
  'world.nEval': '1',
  'sft.epochs': '1',
  'sft.batchSize': '4',
  'sft.warmupSteps': '1',
  'sft.lr': '1e-3',
  'grpo.steps': '2',
  'grpo.lr': '1e-2',
  'grpo.promptsPerStep': '2',
  'grpo.numGenerations': '2',
  // short: SwiftShader decodes slowly. Unfinished judgements all score −1, so GRPO moves no adapter here; its
  // updates on an f16 base are f16_base_step.test.ts's (gradients = the f32 base's)
  'grpo.maxCompletionLength': '16',
  'eval.maxCompletionLength': '4',
  'eval.batchSize': '4',
});

type Values = Record<string, Int32Array | Float32Array>;
async function valuesOf(params: Record<string, tf.Tensor>): Promise<Values> {
  const out: Values = {};
  for (const [n, v] of Object.entries(params)) out[n] = (await v.data()).slice() as Int32Array | Float32Array;
  return out;
}

const checkpoint = (events: PipelineEvent[], name: string) => {
  const c = events.find((e) => e.kind === 'checkpoint' && e.name === name);
  if (c?.kind !== 'checkpoint') throw new Error(`no '${name}' checkpoint`);
  return c;
};
/** max |a − b| over float tensors; words (int32) must be equal. */
function compare(a: Values, b: Values): number {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  let worst = 0;
  for (const n of Object.keys(a)) {
    if (a[n] instanceof Int32Array) expect(Array.from(a[n]), n).toEqual(Array.from(b[n]));
    else for (let i = 0; i < a[n].length; i++) worst = Math.max(worst, Math.abs(a[n][i] - b[n][i]));
  }
  return worst;
}

describe.each(backends)('a LoRA run with lora.base f16 on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));

  if (backend !== 'webgpu') {
    it('trains on an f32 base and says why', async () => {
      const model = modelFromFiles(fixture, { weights: runWeights(run) });
      const p = createPipeline({ ...run, stage: 'sft' }, model, worldData(run));
      const notes = (await p.step()).flatMap((e) => (e.kind === 'note' ? [e.message] : []));
      expect(hasF16Weights(model.params)).toBe(false);
      expect(notes.join('\n')).toMatch(
        `the frozen base is float32, not lora.base f16: half precision runs on WebGPU only`,
      );
      p.dispose();
      tf.dispose(Object.values(model.params));
    });
    return;
  }

  it('words through both stages; folded = the sft checkpoint in halves; resumed mid-GRPO = uninterrupted', async () => {
    const before = tf.memory().numTensors;
    const model = modelFromFiles(fixture, { weights: runWeights(run) });
    const frozen = Object.keys(model.params).filter((n) => model.params[n].rank === 2);
    for (const n of frozen) expect(model.params[n].dtype, n).toBe('int32');
    const p = createPipeline(run, model, worldData(run));
    const events: PipelineEvent[] = [];
    await drive(p, async (e) => events.push(...e));
    expect(events.some((e) => e.kind === 'note' && /float32/.test(e.message))).toBe(false);
    const whole = await valuesOf(model.params);
    for (const n of frozen) expect(whole[n], n).toBeInstanceOf(Int32Array);
    const adapter = grpoAdapter(events);
    // the base GRPO trained on: the 'sft' checkpoint (W₁₆ + s·B·A in f32) loaded in halves, word for word
    const sft = modelFromFiles(checkpoint(events, 'sft').files, { weights: 'f16' });
    const sftWords = await valuesOf(sft.params);
    for (const n of frozen) expect(Array.from(whole[n]), n).toEqual(Array.from(sftWords[n]));
    tf.dispose(Object.values(sft.params));
    p.dispose();
    tf.dispose(Object.values(model.params));

    // stopped after GRPO step 1, resumed from the store
    const store = createMemoryStore();
    const rec = createRunRecorder(store, newRunRecord('r', run, { init: 'nano-judge' }));
    const first = modelFromFiles(fixture, { weights: runWeights(run) });
    const q = createPipeline(run, first, worldData(run));
    await drive(
      q,
      (e) => rec.record(e),
      (e) => e.kind === 'metrics' && e.row.stage === 'grpo' && e.row.step === 1,
    );
    await rec.record([await q.checkpoint('stopped')]);
    q.dispose();
    tf.dispose(Object.values(first.params));
    const inputs = await readResumeInputs(store, (await store.getRun('r'))!, async () => fixture);
    expect(inputs.state).toMatchObject({ phase: 'grpo', steps: { grpo: 1 }, base: 'sft' });
    await store.rewindRun('r', rewindPoint(inputs.state, run.stage));
    const r = loadResume(run, inputs);
    const resumed = createPipeline(run, r.model, worldData(run), r.resume);
    const later: PipelineEvent[] = [];
    await drive(resumed, async (e) => later.push(...e));
    const d = compare(await valuesOf(r.model.params), whole);
    const dAdapter = compare(grpoAdapter(later), adapter);
    console.log(
      `f16 base, resumed mid-GRPO: max |Δ| adapters ${d.toExponential(2)}, PEFT ${dAdapter.toExponential(2)}`,
    );
    expect(d).toBeLessThanOrEqual(1e-6);
    expect(dAdapter).toBeLessThanOrEqual(1e-6);
    resumed.dispose();
    tf.dispose(Object.values(r.model.params));
    expect(Object.keys(whole).filter(isLoraName).length).toBe(7 * 2 * 2);
    expect(tf.memory().numTensors).toBe(before);
  }, 600_000);
});

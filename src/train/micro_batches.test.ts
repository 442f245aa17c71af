// Micro-batches and recomputation change memory, not maths. The SFT loss and its gradients over a batch of
// uneven rows equal the whole batch's (1e-5) when it runs one row, or three, per pass (a micro-batch that
// divided by its own token count would fail), when each block is recomputed in the backward pass (a
// recomputed block that missed a parameter, or drew other dropout masks, would fail), and both at once,
// with full fine-tuning and with LoRA adapters (dropout on). The trainer keeps its tensor count flat
// across steps and reads back once per step; recomputation lowers the backward pass's peak bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from '../engine/config';
import { installCounters } from '../engine/instrument';
import { addLora, LORA_TARGETS, trainableParams } from '../engine/lora';
import { initParams, type ModelParams } from '../engine/model';
import { ADAMW_MOMENTS } from '../engine/optimizer';
import { createRng } from '../engine/rng';
import { switchTestBackend } from '../engine/test_backends';
import { createLmTrainer, lmLossAndGrads, type LmBatch, type LmMemoryOptions } from './lm_step';
import { slices } from './micro_batches';

const cfg = presetConfig('nano', { vocab_size: 40, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 });

/** B rows of T tokens, each with its own masked tail (rows of uneven length, prompt masked). */
function batch(B: number, T: number, seed: number): LmBatch {
  const rng = createRng(seed);
  const rows = Array.from({ length: B }, () => Array.from({ length: T + 1 }, () => 3 + rng.int(37)));
  return {
    ids: rows.map((r) => r.slice(0, -1)),
    targets: rows.map((r) => r.slice(1)),
    mask: rows.map((_, b) => Array.from({ length: T }, (_, t) => (t >= 2 + b && t < T - b ? 1 : 0))),
  };
}

/** B = 0 leaves A without a gradient: a start with both non-zero checks every path. */
function randomB(p: ModelParams): void {
  for (const [n, v] of Object.entries(p))
    if (n.endsWith('lora_B.weight')) {
      const r = tf.randomNormal(v.shape, 0, 0.3, 'float32', 5);
      v.assign(r);
      r.dispose(); // assign shares the data; this handle is ours to free
    }
}

async function lossAndGrads(p: ModelParams, b: LmBatch, o: LmMemoryOptions) {
  const vars = Object.values(trainableParams(p));
  const { loss, grads } = tf.tidy(() => lmLossAndGrads(p, cfg, b, vars, { ...o, dropoutSeed: 7 }));
  const values = Object.fromEntries(await Promise.all(vars.map(async (v) => [v.name, await grads[v.name].data()])));
  const l = (await loss.data())[0];
  tf.dispose([loss, ...Object.values(grads)]);
  return { loss: l, values: values as Record<string, Float32Array> };
}

function maxDiff(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  let max = 0;
  for (const [n, v] of Object.entries(a)) v.forEach((x, i) => (max = Math.max(max, Math.abs(x - b[n][i]))));
  return max;
}

describe('micro-batches and recomputation (SFT)', () => {
  beforeAll(() => switchTestBackend('cpu'));
  afterAll(() => tf.disposeVariables());

  it('slices a batch into whole micro-batches; 0 is the whole batch', () => {
    expect(slices(5, 2)).toEqual([
      [0, 2],
      [2, 2],
      [4, 1],
    ]);
    expect(slices(5, 0)).toEqual([[0, 5]]);
    expect(slices(3, 8)).toEqual([[0, 3]]);
  });

  for (const lora of [false, true])
    it(`gives the whole batch's loss and gradients (1e-5), ${lora ? 'LoRA' : 'full fine-tuning'}`, async () => {
      const p = initParams({ ...cfg, initializer_range: 0.3 }, 3);
      if (lora) {
        addLora(p, cfg, { rank: 4, alpha: 8, dropout: 0.2, targets: LORA_TARGETS, rslora: false }, { seed: 2 });
        randomB(p);
      }
      const b = batch(5, 12, 1);
      const before = tf.memory().numTensors;
      const whole = await lossAndGrads(p, b, {});
      // dropout draws per call, so only the recomputed forward (same calls, same masks) can match with it on
      const runs: LmMemoryOptions[] = lora
        ? [{ recompute: true }]
        : [{ microBatch: 1 }, { microBatch: 3 }, { recompute: true }, { microBatch: 2, recompute: true }];
      for (const o of runs) {
        const r = await lossAndGrads(p, b, o);
        expect(Math.abs(r.loss - whole.loss), JSON.stringify(o)).toBeLessThan(1e-5);
        expect(maxDiff(r.values, whole.values), JSON.stringify(o)).toBeLessThan(1e-5);
      }
      if (lora) {
        // without dropout micro-batches match too
        const p0 = initParams({ ...cfg, initializer_range: 0.3 }, 3);
        addLora(p0, cfg, { rank: 4, alpha: 8, dropout: 0, targets: LORA_TARGETS, rslora: false }, { seed: 2 });
        randomB(p0);
        const w0 = await lossAndGrads(p0, b, {});
        const m0 = await lossAndGrads(p0, b, { microBatch: 2, recompute: true });
        expect(Math.abs(m0.loss - w0.loss)).toBeLessThan(1e-5);
        expect(maxDiff(m0.values, w0.values)).toBeLessThan(1e-5);
        expect(Object.keys(w0.values).length).toBe(2 * LORA_TARGETS.length * cfg.num_hidden_layers);
        tf.dispose(Object.values(p0));
      }
      expect(whole.loss).toBeGreaterThan(0);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose(Object.values(p));
    });

  it('trains with micro-batches and recomputation: tensors flat across steps, one readback a step', async () => {
    const p = initParams(cfg, 4);
    const trainer = createLmTrainer(p, cfg, {
      lr: 1e-2,
      ...ADAMW_MOMENTS,
      weightDecay: 0,
      maxGradNorm: 1,
      microBatch: 2,
      recompute: true,
    });
    const b = batch(5, 12, 2);
    await trainer.step(b, 1e-2); // the first step makes AdamW's moments
    const tensors = tf.memory().numTensors;
    const counters = installCounters();
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) {
      counters.reset();
      losses.push((await trainer.step(b, 1e-2)).loss);
      expect(counters.counts.readbacks).toBe(1);
      expect(tf.memory().numTensors).toBe(tensors);
    }
    counters.uninstall();
    expect(losses[2]).toBeLessThan(losses[0]);
    trainer.dispose();
    tf.dispose(Object.values(p));
  });

  it("recomputation lowers the backward pass's peak bytes", async () => {
    const deep = { ...cfg, num_hidden_layers: 6 };
    const p = initParams(deep, 5);
    const vars = Object.values(p);
    const b = batch(4, 32, 3);
    const peak = async (recompute: boolean) => {
      const info = await tf.profile(() => {
        const { loss, grads } = lmLossAndGrads(p, deep, b, vars, { recompute, dropoutSeed: 0 });
        tf.dispose([loss, ...Object.values(grads)]);
      });
      return info.peakBytes;
    };
    const kept = await peak(false),
      recomputed = await peak(true);
    console.log(`peak bytes: kept ${kept}, recomputed ${recomputed}`);
    expect(recomputed).toBeLessThan(kept * 0.8);
    tf.dispose(vars);
  });
});

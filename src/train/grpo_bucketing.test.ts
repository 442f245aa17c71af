// Length bucketing in GRPO's loss batch (grpo_batch.ts, padBatch). Two claims:
// 1. Padding changes nothing: with buckets of 16 or none (1), the same rollouts give the same loss, grad
//    norm, per-token log-probs and gradients, within 1e-6 on CPU.
// 2. It bounds the GPU buffer pool: 100 GRPO-like updates (loss, backward, AdamW; no sampling) on nano
//    with random prompt and completion lengths on WebGPU. With buckets the backend's numBytesAllocatedInGPU
//    stops growing after a warm-up and tensors stay flat; without, the pool keeps growing (the test has
//    teeth). Shapes are tiny (one prompt, G = 2, ≤ 31 tokens): SwiftShader takes ~1–2 s per update here.
// Micro-batches (grpo.microBatch) and recomputed blocks (grpo.recompute) also leave the loss and the
// gradients as the whole batch's (1e-5), with a LoRA policy whose reference is itself with adapters off.
// Run: npx vitest run src/train/grpo_bucketing.test.ts
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { presetConfig } from '../engine/config';
import { addLora, LORA_TARGETS, trainableParams } from '../engine/lora';
import { initParams } from '../engine/model';
import { ADAMW_MOMENTS, createAdamW } from '../engine/optimizer';
import { createRng, type Rng } from '../engine/rng';
import { defaultTokenizer } from '../engine/tokenizer';
import { nodeWebGPUAvailable } from '../engine/node_webgpu';
import { switchTestBackend } from '../engine/test_backends';
import { frozenCopy, GRPO_DEFAULTS } from './grpo_run';
import { prepareLoss } from './grpo_batch';
import type { AdvantageStage, GrpoConfig, GrpoModels, SampleStage } from './grpo_types';
import { applyUpdate, lossStage } from './grpo_update';

const tok = defaultTokenizer();
const cfg = presetConfig(
  'nano',
  { vocab_size: tok.vocabSize, bos_token_id: tok.bosId, eos_token_id: tok.eosId, pad_token_id: tok.padId },
  { max_position_embeddings: 48 },
);
const G = 2,
  PROMPTS = 1,
  BUCKET = 8;
const g: GrpoConfig = {
  ...GRPO_DEFAULTS,
  numGenerations: G,
  promptsPerStep: PROMPTS,
  maxCompletionLength: 16,
  beta: 0.04,
  maxGradNorm: 1e9,
};

function models(): GrpoModels {
  const policy = initParams(cfg, 1);
  const reference = frozenCopy(initParams(cfg, 2)); // differs from the policy, so KL and its gradient are not 0
  return {
    cfg,
    tok,
    policy,
    reference,
    optimizer: createAdamW(policy, { lr: 1e-3, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0 }),
  };
}

const token = (rng: Rng) => 4 + rng.int(tok.vocabSize - 4);

/**
 * Rollouts as the sampler would return them: prompts of 3–16 tokens, completions of 1–16, random ℓp_old and advantages.
 */
function rollouts(rng: Rng, prompts = PROMPTS): { s: SampleStage; a: AdvantageStage } {
  const promptIds = Array.from({ length: prompts }, () => [
    tok.bosId,
    ...Array.from({ length: 2 + rng.int(14) }, () => token(rng)),
  ]);
  const completions = Array.from({ length: prompts * G }, (_, i) => {
    const tokens = Array.from({ length: 1 + rng.int(g.maxCompletionLength) }, () => token(rng));
    return {
      group: Math.floor(i / G),
      tokens,
      pieces: [],
      logps: tokens.map(() => -6 + rng.normal() * 0.5),
      text: '',
      stopReason: 'length' as const,
    };
  });
  const advantages = completions.map(() => rng.normal());
  return { s: { pairs: [], promptIds, completions }, a: { scaleRewards: 'group', groups: [], advantages } };
}

/** One update; returns the loss report and the gradients, both read back. */
async function lossAndGrads(m: GrpoModels, cfgG: GrpoConfig, s: SampleStage, a: AdvantageStage, sliceRows?: number) {
  const inputs = prepareLoss(m, sliceRows === undefined ? cfgG : { ...cfgG, microBatch: sliceRows }, s, a);
  const { report, grads } = await lossStage(m, cfgG, inputs, a, 0);
  inputs.dispose();
  const values = Object.fromEntries(
    await Promise.all(Object.entries(grads).map(async ([n, t]) => [n, await t.data()] as const)),
  );
  tf.dispose(Object.values(grads));
  return { report, values, L: inputs.L };
}

describe('GRPO length bucketing', () => {
  afterAll(() => tf.disposeVariables());

  it('gives the same loss, log-probs and gradients as no bucketing (CPU, 1e-6)', async () => {
    await switchTestBackend('cpu');
    const m = models();
    const rng = createRng(11);
    let padded = 0;
    for (let trial = 0; trial < 3; trial++) {
      const { s, a } = rollouts(rng);
      const plain = await lossAndGrads(m, { ...g, lengthBucket: 1 }, s, a);
      const bucketed = await lossAndGrads(m, { ...g, lengthBucket: BUCKET }, s, a);
      expect(bucketed.L % BUCKET).toBe(0);
      padded += bucketed.L - plain.L;
      expect(Math.abs(bucketed.report.loss - plain.report.loss)).toBeLessThan(1e-6);
      expect(Math.abs(bucketed.report.gradNorm - plain.report.gradNorm)).toBeLessThan(1e-6);
      s.completions.forEach((c, i) =>
        c.tokens.forEach((_, t) =>
          expect(Math.abs(bucketed.report.per_token_logps[i][t] - plain.report.per_token_logps[i][t])).toBeLessThan(
            1e-6,
          ),
        ),
      );
      let max = 0;
      for (const [n, v] of Object.entries(plain.values))
        v.forEach((x, j) => {
          max = Math.max(max, Math.abs(x - bucketed.values[n][j]));
        });
      console.log(
        `trial ${trial}: L ${plain.L} → ${bucketed.L}, loss ` +
          `${plain.report.loss.toFixed(6)}, gradient maxdiff ${max.toExponential(2)}`,
      );
      expect(max).toBeLessThan(1e-6);
    }
    expect(padded).toBeGreaterThan(0); // the padding was really there
    m.optimizer.dispose();
    tf.dispose([...Object.values(m.policy), ...Object.values(m.reference ?? {})]);
  });

  it('gives the same loss, log-probs and gradients when the batch runs in slices of rows (CPU, 1e-6)', async () => {
    await switchTestBackend('cpu');
    const m = models();
    const rng = createRng(12);
    const before = tf.memory().numTensors;
    for (let trial = 0; trial < 3; trial++) {
      const { s, a } = rollouts(rng);
      const whole = await lossAndGrads(m, g, s, a);
      const sliced = await lossAndGrads(m, g, s, a, 1); // one judgement per forward/backward
      expect(Math.abs(sliced.report.loss - whole.report.loss)).toBeLessThan(1e-6);
      expect(Math.abs(sliced.report.gradNorm - whole.report.gradNorm)).toBeLessThan(1e-6);
      expect(sliced.report.per_token_logps).toEqual(whole.report.per_token_logps);
      expect(sliced.report.kl).toEqual(whole.report.kl);
      let max = 0;
      for (const [n, v] of Object.entries(whole.values))
        v.forEach((x, j) => {
          max = Math.max(max, Math.abs(x - sliced.values[n][j]));
        });
      expect(max).toBeLessThan(1e-6);
      expect(whole.report.gradNorm).toBeGreaterThan(0);
    }
    expect(tf.memory().numTensors).toBe(before);
    m.optimizer.dispose();
    tf.dispose([...Object.values(m.policy), ...Object.values(m.reference ?? {})]);
  });

  it('gives the same loss and gradients with micro-batches and recomputed blocks, LoRA on (CPU, 1e-5)', async () => {
    await switchTestBackend('cpu');
    const policy = initParams(cfg, 1);
    addLora(policy, cfg, { rank: 2, alpha: 4, dropout: 0, targets: LORA_TARGETS, rslora: false }, { seed: 3 });
    for (const [n, v] of Object.entries(policy))
      if (n.endsWith('lora_B.weight')) {
        const b = tf.randomNormal(v.shape, 0, 0.5, 'float32', 4); // B ≠ 0: A has a gradient, the KL is not 0
        v.assign(b);
        b.dispose();
      }
    const trained = trainableParams(policy);
    const m: GrpoModels = {
      cfg,
      tok,
      policy,
      reference: null,
      optimizer: createAdamW(trained, { lr: 1e-3, ...ADAMW_MOMENTS, weightDecay: 0 }),
    };
    const { s, a } = rollouts(createRng(13));
    const before = tf.memory().numTensors;
    const whole = await lossAndGrads(m, { ...g, microBatch: 0 }, s, a);
    for (const o of [{ microBatch: 1 }, { recompute: true }, { microBatch: 1, recompute: true }]) {
      const r = await lossAndGrads(m, { ...g, ...o, microBatch: o.microBatch ?? 0 }, s, a);
      expect(Math.abs(r.report.loss - whole.report.loss), JSON.stringify(o)).toBeLessThan(1e-5);
      let max = 0;
      for (const [n, v] of Object.entries(whole.values))
        v.forEach((x, j) => {
          max = Math.max(max, Math.abs(x - r.values[n][j]));
        });
      expect(max, JSON.stringify(o)).toBeLessThan(1e-5);
    }
    expect(Object.keys(whole.values).sort()).toEqual(Object.keys(trained).sort());
    expect(whole.report.gradNorm).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
    m.optimizer.dispose();
    tf.dispose(Object.values(policy));
  });

  it('on WebGPU, a batch in more slices than a shader may bind ' +
    "buffers still gives the whole batch's loss and gradients", async () => {
    // One loss per slice; summing them with AddN bound every slice at once and failed validation past
    // maxStorageBuffersPerShaderStage − 1 inputs (8 by default): GRPO with 64 prompts per step on a GPU.
    const why = await nodeWebGPUAvailable();
    if (why) {
      console.warn(`WebGPU not available: ${why}`);
      return;
    }
    await switchTestBackend('webgpu');
    const many: GrpoConfig = { ...g, promptsPerStep: 6 }; // 12 rows, so 12 slices of one row
    const m = models();
    const rng = createRng(13);
    const promptIds = Array.from({ length: 6 }, () => rollouts(rng).s.promptIds[0]);
    const completions = promptIds.flatMap((_, p) => rollouts(rng).s.completions.map((c) => ({ ...c, group: p })));
    const s: SampleStage = { pairs: [], promptIds, completions };
    const a: AdvantageStage = { scaleRewards: 'group', groups: [], advantages: completions.map(() => rng.normal()) };
    const limit = (tf.backend() as WebGPUBackend).device.limits.maxStorageBuffersPerShaderStage;
    expect(completions.length).toBeGreaterThan(limit - 1);
    const whole = await lossAndGrads(m, many, s, a);
    const sliced = await lossAndGrads(m, many, s, a, 1);
    expect(Math.abs(sliced.report.loss - whole.report.loss)).toBeLessThan(
      1e-5 * Math.max(1, Math.abs(whole.report.loss)),
    );
    expect(Math.abs(sliced.report.gradNorm - whole.report.gradNorm)).toBeLessThan(1e-4 * whole.report.gradNorm);
    let max = 0,
      scale = 0;
    for (const [n, v] of Object.entries(whole.values))
      v.forEach((x, j) => {
        max = Math.max(max, Math.abs(x - sliced.values[n][j]));
        scale = Math.max(scale, Math.abs(x));
      });
    expect(max).toBeLessThan(1e-4 * scale);
    m.optimizer.dispose();
    tf.dispose([...Object.values(m.policy), ...Object.values(m.reference ?? {})]);
  }, 600_000);

  it('keeps the WebGPU buffer pool flat over 100 updates with random lengths (and it grows without)', async () => {
    const why = await nodeWebGPUAvailable();
    if (why) {
      console.warn(`WebGPU not available: ${why}`);
      return;
    }
    await switchTestBackend('webgpu');
    const pool = () => (tf.backend() as WebGPUBackend).memory().numBytesAllocatedInGPU;
    const run = async (lengthBucket: number, steps: number) => {
      const m = models();
      const rng = createRng(5); // the same lengths for both runs
      const bytes: number[] = [],
        tensors: number[] = [];
      for (let step = 0; step < steps; step++) {
        const { s, a } = rollouts(rng);
        const inputs = prepareLoss(m, { ...g, lengthBucket }, s, a);
        applyUpdate(m, (await lossStage(m, { ...g, lengthBucket }, inputs, a, 0)).grads, 1e-4);
        inputs.dispose();
        bytes.push(pool());
        tensors.push(tf.memory().numTensors);
      }
      m.optimizer.dispose();
      tf.dispose([...Object.values(m.policy), ...Object.values(m.reference ?? {})]);
      return { bytes, tensors };
    };
    const WARM = 25;
    const mib = (b: number) => (b / 2 ** 20).toFixed(2);
    const at = (xs: number[], steps: number[]) => steps.map((n) => `${n}: ${mib(xs[n - 1])}`).join(', ');
    const bucketed = await run(BUCKET, 100); // first, on an empty pool
    const plain = await run(1, 2 * WARM);
    console.log(
      `numBytesAllocatedInGPU MB by step — buckets of ${BUCKET}: ${at(bucketed.bytes, [1, WARM, 50, 100])}; no ` +
        `buckets: ${at(plain.bytes, [1, WARM, 2 * WARM])}`,
    );
    expect(new Set(bucketed.bytes.slice(WARM - 1)).size).toBe(1);
    expect(new Set(bucketed.tensors).size).toBe(1);
    expect(plain.bytes[2 * WARM - 1]).toBeGreaterThan(plain.bytes[WARM - 1]);
  }, 600_000);
});

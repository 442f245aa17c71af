// The training memory plan: its arithmetic against figures computed by hand for nano (parameters, LoRA's
// adapter count, moments, gradients, activations, the peak), its activation estimate against tfjs's own
// measured peak (tf.profile) of whole SFT forward/backward passes on CPU within the stated 15% (kept and
// recomputed, full fine-tuning and LoRA), a device budget that refuses with the numbers, and fitTraining's
// micro-batches and recomputation that then fit (a plan that ignored either would fail here); and the
// Qwen2.5-0.5B shape with LoRA r = 16 and GRPO group 6 in f16 against f32 frozen weights, by hand.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { presetConfig, validateConfig } from './config';
import { QWEN25_05B_INSTRUCT } from './hf/known_configs';
import { addLora, LORA_TARGETS, trainableParams } from './lora';
import { initParams } from './model';
import { switchTestBackend } from './test_backends';
import { fitTraining, planTraining, type TrainMemoryPlan, type TrainMemoryRequest } from './train_memory';
import { lmLossAndGrads } from '../train/lm_step';

const nano = presetConfig('nano', { vocab_size: 40, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 });
const NO_LIMITS = { maxBufferSize: Infinity, maxStorageBufferBindingSize: Infinity };
const req = (o: Partial<TrainMemoryRequest> = {}): TrainMemoryRequest => ({
  rows: 4,
  microBatch: 0,
  length: 8,
  recompute: false,
  lora: null,
  ...o,
});

describe('training memory plan', () => {
  beforeAll(() => switchTestBackend('cpu'));

  it('adds up as computed by hand for nano', () => {
    // nano: C 16, I 32, L 2, H 2, Hkv 1, D 8, V 40, untied head. A layer: q 256 + k 128 + v 128 + o 256 +
    // gate 512 + up 512 + down 512 + two norms 32 = 2336; ×2 + embedding 640 + head 640 + final norm 16
    const params = 2 * 2336 + 640 + 640 + 16;
    // LoRA r = 2 on all seven: r·(in + out) = q 64 + k 48 + v 48 + o 64 + gate 96 + up 96 + down 96 = 512 a layer
    const lora = { rank: 2, targets: LORA_TARGETS };
    const p = planTraining(nano, req({ microBatch: 2, lora }), NO_LIMITS);
    expect(p.params).toBe(params);
    expect(p.trained).toBe(1024);
    expect(p.frozenBytes).toBe(params * 4);
    expect(p.trainedBytes).toBe(1024 * 4);
    expect(p.optimizerBytes).toBe(2 * 1024 * 4);
    expect(p.gradientBytes).toBe(2 * 1024 * 4);
    expect(p.microRows).toBe(2);
    // n = 2 rows × 8 tokens = 16: 16·(L·(64·16 + 32·32 + 12·2·8 + 9·Σout) + 16·40) floats, the adapted
    // projections' outputs Σout = q 16 + k 8 + v 8 + o 16 + gate 32 + up 32 + down 16 = 128
    expect(p.activationBytes).toBe(16 * (2 * (64 * 16 + 32 * 32 + 12 * 2 * 8 + 9 * 128) + 16 * 40) * 4);
    expect(p.totalBytes).toBe(params * 4 + 1024 * 4 * 3 + 1024 * 8 + p.activationBytes);
    // recomputed: each block's input (2·C) plus one block, 16·(2·2·16 + 40·16 + 44·32 + 15·2·8 + 9·128 + 14·40)
    const r = planTraining(nano, req({ microBatch: 2, lora, recompute: true }), NO_LIMITS);
    expect(r.activationBytes).toBe(16 * (2 * 2 * 16 + 40 * 16 + 44 * 32 + 15 * 2 * 8 + 9 * 128 + 14 * 40) * 4);
    // full fine-tuning: every parameter trains, nothing is frozen
    const full = planTraining(nano, req(), NO_LIMITS);
    expect([full.trained, full.frozenBytes, full.optimizerBytes]).toEqual([params, 0, 8 * params]);
    // GRPO's sampling: K and V of 2 layers × Hkv 1 × D 8 per token, for 12 sequences of 4 + 8 tokens
    const g = planTraining(nano, req({ sampling: { sequences: 12, promptTokens: 4, newTokens: 8 } }), NO_LIMITS);
    expect(g.kvCacheBytes).toBe(2 * 2 * 12 * 1 * 12 * 8 * 4 + 12 * 12 * 4);
  });

  it("bounds tfjs's measured peak of a forward/backward within 15% (CPU)", async () => {
    const cases: [string, number, number, boolean, boolean][] = [
      ['nano', 2, 32, false, false],
      ['nano', 4, 64, true, false],
      ['tiny', 2, 32, false, false],
      ['tiny', 1, 64, true, false],
      ['tiny', 2, 32, false, true],
      ['tiny', 2, 32, true, true],
    ];
    for (const [preset, rows, T, recompute, withLora] of cases) {
      const cfg = presetConfig(preset as 'nano', { vocab_size: 40, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 });
      const p = initParams(cfg, 1);
      const lora = withLora ? { rank: 8, targets: LORA_TARGETS } : null;
      if (lora) addLora(p, cfg, { ...lora, alpha: 16, dropout: 0, rslora: false });
      const vars = Object.values(trainableParams(p));
      const ids = Array.from({ length: rows }, () => Array.from({ length: T }, (_, t) => 3 + (t % 30)));
      const batch = { ids, targets: ids, mask: ids.map((r) => r.map(() => 1)) };
      const base = tf.memory().numBytes;
      const info = await tf.profile(() => {
        const { loss, grads } = lmLossAndGrads(p, cfg, batch, vars, { recompute, dropoutSeed: 0 });
        tf.dispose([loss, ...Object.values(grads)]);
      });
      const measured = info.peakBytes - base;
      const plan = planTraining(cfg, req({ rows, length: T, recompute, lora }), NO_LIMITS);
      const planned = plan.gradientBytes + plan.activationBytes;
      const what = `${preset} ${rows}×${T}${recompute ? ' recomputed' : ''}${lora ? ' LoRA' : ''}`;
      console.log(`${what}: planned ${planned}, measured ${measured} (${(planned / measured).toFixed(2)}×)`);
      expect(planned, what).toBeGreaterThan(measured * 0.85);
      expect(planned, what).toBeLessThan(measured * 1.15);
      tf.dispose(Object.values(p));
    }
  });

  it('refuses past a device budget with the numbers, and finds micro-batches and recomputation that fit', () => {
    const big = req({ rows: 16, length: 64 });
    const whole = planTraining(nano, big, NO_LIMITS);
    const budget = { ...NO_LIMITS, deviceBytes: Math.floor(whole.totalBytes / 3) };
    const refused = planTraining(nano, big, budget);
    expect(refused.problems.join('\n')).toMatch(/AdamW moments .* past the device budget of/);
    const fit = fitTraining(nano, big, budget)!;
    expect(fit.plan.problems).toEqual([]);
    expect(fit.plan.totalBytes).toBeLessThanOrEqual(budget.deviceBytes);
    expect(fit.microBatch).toBeLessThan(16);
    expect(fitTraining(nano, big, NO_LIMITS)).toBeNull(); // fits as asked
    // a budget below the weights and moments fits nothing
    expect(fitTraining(nano, big, { ...NO_LIMITS, deviceBytes: 1000 })).toBeNull();
  });

  it("names a micro-batch's logits past the adapter's binding", () => {
    const limits = { maxBufferSize: 2 ** 20, maxStorageBufferBindingSize: 2 ** 17 };
    const p = planTraining(nano, req({ rows: 8, length: 128 }), limits);
    expect(p.problems.join('\n')).toMatch(
      /the logits of a micro-batch needs 160\.0 KiB, past maxStorageBufferBindingSize/,
    );
    expect(fitTraining(nano, req({ rows: 8, length: 128 }), limits)?.microBatch).toBe(1);
  });

  it('Qwen2.5-0.5B, LoRA r = 16 on all seven, GRPO group 6: f16 frozen weights halve the base', () => {
    const qwen = validateConfig(QWEN25_05B_INSTRUCT);
    const GiB = 2 ** 30;
    const budget = { ...NO_LIMITS, deviceBytes: 2 * GiB };
    // one prompt's group of 6, each row a prompt of T/2 and a completion of T/2 tokens, one row per pass
    const plan = (length: number, baseWeights: 'f32' | 'f16'): TrainMemoryPlan =>
      planTraining(
        qwen,
        req({
          rows: 6,
          microBatch: 1,
          recompute: true,
          length,
          lora: { rank: 16, targets: LORA_TARGETS },
          baseWeights,
          sampling: { sequences: 6, promptTokens: length / 2, newTokens: length / 2 },
        }),
        budget,
      );
    const [f32, f16] = [plan(1024, 'f32'), plan(1024, 'f16')];
    // 494,032,768 frozen parameters at 2 bytes instead of 4; r·(in + out) a projection: 8,798,208 adapters
    expect(f16.frozenBytes).toBe(494_032_768 * 2);
    expect(f32.frozenBytes - f16.frozenBytes).toBe(494_032_768 * 2);
    expect(f16.trained).toBe(24 * 16 * (2 * (896 + 896) + 2 * (896 + 128) + 3 * (896 + 4864)));
    // weights, adapters, moments and gradients: 1.08 GiB with the f16 base, 2.00 with f32
    const fixed = (p: TrainMemoryPlan) => p.frozenBytes + p.trainedBytes + p.optimizerBytes + p.gradientBytes;
    expect(fixed(f16) / GiB).toBeCloseTo(1.08, 2);
    expect(fixed(f32) / GiB).toBeCloseTo(2.0, 2);
    // a 1,024-token row does not fit 2 GiB either way: one row's kept activations are 2.88 GiB with the LM head
    // over the judgement's 513 positions alone, 64 at a time (14·V floats a position over 151,936 words: 0.51
    // GiB, where all 1,024 positions at once would take 8.1)
    expect(f16.activationBytes / GiB).toBeCloseTo(2.88, 2);
    expect(f16.problems.join('\n')).toMatch(/past the device budget of 2\.00 GiB/);
    // what fits 2 GiB: rows of 128 tokens with the f16 base (1.80 GiB), not with f32 (2.72 GiB)
    expect(plan(128, 'f16').problems).toEqual([]);
    expect(plan(128, 'f16').totalBytes / GiB).toBeCloseTo(1.8, 2);
    expect(plan(128, 'f32').totalBytes / GiB).toBeCloseTo(2.72, 2);
    expect(plan(256, 'f16').problems).not.toEqual([]);
  });
});

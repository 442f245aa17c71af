// The training memory plan: its arithmetic against figures computed by hand for nano (parameters, LoRA's
// adapter count, moments, gradients, activations, the peak), its activation estimate against tfjs's own
// measured peak (tf.profile) of whole SFT forward/backward passes on CPU within the stated 15% (kept and
// recomputed, full fine-tuning and LoRA), a device budget that refuses with the numbers, and fitTraining's
// micro-batches and recomputation that then fit (a plan that ignored either would fail here); on the fused
// WebGPU path its own terms as bounds of the buffers in use (1.6×), and with LoRA the model's own bytes, the
// base in f16 words included, within 2%; and the Qwen2.5-0.5B shape with LoRA r = 16 and GRPO group 6 in f16
// against f32 frozen weights, by hand.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { type LlamaConfig, presetConfig, validateConfig } from './config';
import { QWEN25_05B_INSTRUCT } from './hf/known_configs';
import { halveOnDevice } from './f16_base';
import { installCounters } from './instrument';
import { addLora, LORA_TARGETS, trainableParams } from './lora';
import { initParams } from './model';
import { switchFusedKernels } from './kernels/fused';
import { switchTestBackend, testBackends } from './test_backends';
import { planMemory, prefillActivationBytes } from './memory';
import { fitTraining, planTraining, type TrainMemoryPlan, type TrainMemoryRequest } from './train_memory';
import { lmLossAndGrads } from '../train/lm_step';

const hasWebGPU = (await testBackends()).includes('webgpu');
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

/**
 * The peak bytes above the model over one SFT forward/backward of rows × T tokens, full or with LoRA r 8 on
 * every projection (after a first pass when `warm`: WebGPU compiles and fills its pool then): on CPU tfjs's
 * own count (tf.profile), on WebGPU the buffers in use (a view shares its buffer, which tfjs counts again).
 */
async function stepPeak(
  cfg: LlamaConfig,
  rows: number,
  T: number,
  recompute: boolean,
  withLora: boolean,
  warm = false,
  f16Base = false,
) {
  const before = tf.memory().numBytes;
  const p = initParams(cfg, 1);
  const lora = withLora ? { rank: 8, targets: LORA_TARGETS } : null;
  if (lora) addLora(p, cfg, { ...lora, alpha: 16, dropout: 0, rslora: false });
  if (f16Base) halveOnDevice(p);
  const modelBytes = tf.memory().numBytes - before;
  const vars = Object.values(trainableParams(p));
  const ids = Array.from({ length: rows }, () => Array.from({ length: T }, (_, t) => 3 + ((t * 7) % 37)));
  const batch = { ids, targets: ids, mask: ids.map((r) => r.map(() => 1)) };
  const run = () => {
    const { loss, grads } = lmLossAndGrads(p, cfg, batch, vars, { recompute, dropoutSeed: 0 });
    tf.dispose([loss, ...Object.values(grads)]);
  };
  if (warm) run();
  let measured: number;
  if (tf.getBackend() === 'webgpu') {
    const counters = installCounters();
    counters.reset();
    const base = counters.counts.peakDeviceBytes;
    run();
    measured = counters.counts.peakDeviceBytes - base;
    counters.uninstall();
  } else {
    const base = tf.memory().numBytes;
    measured = (await tf.profile(run)).peakBytes - base;
  }
  tf.dispose(Object.values(p));
  return { measured, lora, modelBytes };
}

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
    const sampling = { sequences: 12, prompts: 3, promptTokens: 4, newTokens: 8 };
    const g = planTraining(nano, req({ sampling }), NO_LIMITS);
    expect(g.kvCacheBytes).toBe(2 * 2 * 12 * 1 * 12 * 8 * 4 + 12 * 12 * 4);
    // the prefill runs over the 3 distinct prompts, not the 12 rows
    expect(prefillActivationBytes(nano, 4, 3, 12)).toBeLessThan(prefillActivationBytes(nano, 4, 12));
    const shared = planMemory(nano, { promptTokens: 4, maxNewTokens: 8, batch: 12, prompts: 3 }, NO_LIMITS);
    expect(g.samplingBytes).toBe(shared.kvCacheBytes + shared.activationBytes);
    // full fine-tuning's GRPO holds π_ref, a frozen copy of the weights; its reference pass is a plan phase too
    expect(g.frozenBytes).toBe(params * 4);
    expect(g.referenceBytes).toBeGreaterThan(0);
    expect(g.totalBytes).toBe(
      g.frozenBytes +
        g.trainedBytes +
        g.optimizerBytes +
        Math.max(g.gradientBytes + g.activationBytes, g.samplingBytes, g.referenceBytes),
    );
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
      const { measured, lora } = await stepPeak(cfg, rows, T, recompute, withLora);
      const plan = planTraining(cfg, req({ rows, length: T, recompute, lora }), NO_LIMITS);
      const planned = plan.gradientBytes + plan.activationBytes;
      const what = `${preset} ${rows}×${T}${recompute ? ' recomputed' : ''}${lora ? ' LoRA' : ''}`;
      console.log(`${what}: planned ${planned}, measured ${measured} (${(planned / measured).toFixed(2)}×)`);
      expect(planned, what).toBeGreaterThan(measured * 0.85);
      expect(planned, what).toBeLessThan(measured * 1.15);
    }
  });

  it.skipIf(!hasWebGPU)(
    'bounds the WebGPU buffers a forward/backward holds at their peak on the fused path within 1.6× (its own terms)',
    async () => {
      await switchTestBackend('webgpu');
      switchFusedKernels(true);
      try {
        // C/I/H/Hkv/V/L: kept and recomputed, full and LoRA, MLP 1× to 5.5× C, a vocabulary of 3,000 whose head
        // runs in chunks, rows of 256 tokens (the mask's T² term); the last two: LoRA on a half-precision base
        // (f16_base.ts), whose words the plan counts at 2 bytes
        const cases: [string, number, number, boolean, boolean, boolean][] = [
          ['64/176/4/2/40/3', 2, 32, false, false, false],
          ['64/176/4/2/40/3', 2, 32, false, true, false],
          ['64/352/4/1/40/6', 2, 64, true, false, false],
          ['64/352/4/1/40/1', 2, 32, true, true, false],
          ['128/128/8/2/3000/6', 2, 32, true, true, false],
          ['56/80/7/1/576/2', 3, 256, true, true, false],
          ['128/128/8/2/3000/6', 2, 32, true, true, true],
          ['64/176/4/2/40/3', 2, 32, false, true, true],
        ];
        for (const [shape, rows, T, recompute, withLora, f16] of cases) {
          const [C, I, H, Hkv, V, L] = shape.split('/').map(Number);
          const sizes = { hidden_size: C, intermediate_size: I, num_attention_heads: H, num_key_value_heads: Hkv };
          const cfg = presetConfig(
            'nano',
            { vocab_size: V, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 },
            { ...sizes, num_hidden_layers: L, max_position_embeddings: 512 },
          );
          // the first pass compiles and fills the pool; the second is measured
          const { measured, lora, modelBytes } = await stepPeak(cfg, rows, T, recompute, withLora, true, f16);
          const baseWeights = f16 ? ('f16' as const) : ('f32' as const);
          const request = req({ rows, length: T, recompute, lora, baseWeights });
          const plan = planTraining(cfg, request, { ...NO_LIMITS, path: 'fused' });
          const planned = plan.trained * 4 + plan.activationBytes; // one pass: the gradients once, no running sums
          const how = `${recompute ? ' recomputed' : ''}${lora ? ' LoRA' : ''}${f16 ? ' f16 base' : ''}`;
          const what = `${shape} ${rows}×${T}${how}`;
          console.log(`fused ${what}: planned ${planned}, measured ${measured} (${(planned / measured).toFixed(2)}×)`);
          expect(planned, what).toBeGreaterThanOrEqual(measured);
          expect(planned, what).toBeLessThan(measured * 1.6);
          // the model's own bytes: the plan's weights (f16 words counted at 2 bytes; norms, in f32, are few)
          if (lora) {
            const weights = plan.frozenBytes + plan.trainedBytes;
            console.log(`fused ${what}: weights planned ${weights}, held ${modelBytes}`);
            expect(Math.abs(weights - modelBytes) / modelBytes, what).toBeLessThan(0.02);
          }
        }
      } finally {
        switchFusedKernels(false);
        await switchTestBackend('cpu');
      }
    },
  );

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

  it('Qwen2.5-0.5B, LoRA r = 16 on all seven, GRPO group 6 at 1,024 tokens: 2 GiB with the f16 base, fused', () => {
    const qwen = validateConfig(QWEN25_05B_INSTRUCT);
    const GiB = 2 ** 30;
    // one prompt's group of 6, each row a prompt of T/2 and a completion of T/2 tokens, one row per pass
    const plan = (length: number, baseWeights: 'f32' | 'f16', path: 'stock' | 'fused'): TrainMemoryPlan =>
      planTraining(
        qwen,
        req({
          rows: 6,
          microBatch: 1,
          recompute: true,
          length,
          lora: { rank: 16, targets: LORA_TARGETS },
          baseWeights,
          sampling: { sequences: 6, prompts: 1, promptTokens: length / 2, newTokens: length / 2 },
        }),
        { ...NO_LIMITS, deviceBytes: 2 * GiB, path },
      );
    const [f32, f16] = [plan(1024, 'f32', 'fused'), plan(1024, 'f16', 'fused')];
    // 494,032,768 frozen parameters at 2 bytes instead of 4; r·(in + out) a projection: 8,798,208 adapters
    expect(f16.frozenBytes).toBe(494_032_768 * 2);
    expect(f32.frozenBytes - f16.frozenBytes).toBe(494_032_768 * 2);
    expect(f16.trained).toBe(24 * 16 * (2 * (896 + 896) + 2 * (896 + 128) + 3 * (896 + 4864)));
    // weights, adapters, moments and gradients: 1.08 GiB with the f16 base, 2.00 with f32
    const fixed = (p: TrainMemoryPlan) => p.frozenBytes + p.trainedBytes + p.optimizerBytes + p.gradientBytes;
    expect(fixed(f16) / GiB).toBeCloseTo(1.08, 2);
    expect(fixed(f32) / GiB).toBeCloseTo(2.0, 2);
    // the fused path, f16 base: one recomputed 1,024-token row keeps 0.513 GiB, 1,024·(24·2.2·896 + 27.3·896 +
    // 7.7·4,864 + 1.35·12,672) + 2.15·13·151,936 + (2.9 + 1)·1,024² floats (24 blocks' inputs, the one rebuilt
    // with its adapters' 12,672 outputs, the LM head over the judgement's positions 13 at a time, the causal mask
    // and the row's padded bias); sampling 0.21 (the prompt prefilled once for the group, the KV cache of
    // 6 × 1,024 slots 0.14), so the step's peak is 1.60 GiB: it fits 2 GiB
    expect(f16.activationBytes / GiB).toBeCloseTo(0.513, 3);
    expect(f16.samplingBytes / GiB).toBeCloseTo(0.21, 2);
    expect(f16.kvCacheBytes / GiB).toBeCloseTo(0.14, 2);
    // the reference pass, no gradient: one block's intermediates and 13 head positions at a time, 0.178 GiB
    expect(f16.referenceBytes / GiB).toBeCloseTo(0.178, 3);
    expect(f16.totalBytes / GiB).toBeCloseTo(1.6, 2);
    expect(f16.problems).toEqual([]);
    // the f32 base's sampling also holds the decode's merged copy of every projection (1.33 GiB): 3.48 GiB
    expect((f32.samplingBytes - f16.samplingBytes) / GiB).toBeCloseTo(1.33, 2);
    expect(f32.totalBytes / GiB).toBeCloseTo(3.48, 2);
    // the stock ops keep attention's scores and the MLP's products, and decode over repeated kv heads: 3.56 GiB
    const stock = plan(1024, 'f16', 'stock');
    expect(stock.totalBytes / GiB).toBeCloseTo(3.56, 2);
    expect(stock.problems.join('\n')).toMatch(/past the device budget of 2\.00 GiB/);
    expect(plan(256, 'f16', 'stock').problems).toEqual([]);
    expect(plan(512, 'f16', 'stock').problems).not.toEqual([]);
  });
});

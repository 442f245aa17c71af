// What must hold: the memory plan's figures for the real shapes equal the ones worked out by hand from the
// Hub's config.json (parameters, bytes as stored and as float32, the KV cache for the context asked for,
// not for max_position_embeddings); the vocabulary tables are counted as their row parts under a binding
// limit (Qwen2.5-0.5B's 519 MiB embedding in 5 parts under 128 MiB); and what does not fit is said with
// the numbers: a row wider than a binding, a device budget too small, a context past the model's.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendName } from './backend';
import { presetConfig, validateConfig } from './config';
import { decodeStep, decodeWeights } from './decode';
import { prefill } from './generate';
import { QWEN25_05B_INSTRUCT, SMOLLM2_135M_INSTRUCT } from './hf/known_configs';
import { createKVCache } from './kv_cache';
import { decodeActivationBytes, planMemory, prefillActivationBytes, storedBytesPerElement } from './memory';
import { initParams } from './model';
import { installCounters } from './instrument';
import type { KernelPath } from './kernel_choice';
import { switchFusedKernels } from './kernels/fused';
import { switchTestBackend, testBackends } from './test_backends';

const MiB = 2 ** 20,
  GiB = 2 ** 30;
const roomy = { maxBufferSize: 4 * GiB, maxStorageBufferBindingSize: 2 * GiB };
const defaults = { maxBufferSize: 256 * MiB, maxStorageBufferBindingSize: 128 * MiB }; // WebGPU's defaults
const ctx1024 = { promptTokens: 512, maxNewTokens: 512, batch: 1 };
const smol = validateConfig(SMOLLM2_135M_INSTRUCT);
const qwen = validateConfig(QWEN25_05B_INSTRUCT);

describe('memory plan', () => {
  it('counts SmolLM2-135M by hand: 134,515,008 parameters, KV cache 2·30·3·1024·64·4 B', () => {
    // embedding 49152·576; per layer q,o 576² each, k,v 192·576 each, gate/up/down 1536·576 each, 2 norms
    const layer = 2 * 576 * 576 + 2 * 192 * 576 + 3 * 1536 * 576 + 2 * 576;
    const params = 49152 * 576 + 30 * layer + 576;
    expect(params).toBe(134_515_008);
    const plan = planMemory(smol, ctx1024, roomy);
    expect(plan.params).toBe(params);
    expect(plan.storedDtype).toBe('bfloat16');
    expect(plan.storedBytes).toBe(params * 2);
    expect(plan.f32Bytes).toBe(params * 4);
    expect(plan.context).toBe(1024);
    expect(plan.kvCacheBytes).toBe(2 * 30 * 3 * 1024 * 64 * 4 + 1024 * 4); // + the slots' bias
    expect(plan.vocabParts).toBe(1);
    expect(plan.largest).toEqual({ what: 'model.embed_tokens.weight', bytes: 49152 * 576 * 4 });
    expect(plan.problems).toEqual([]);
  });

  it('counts Qwen2.5-0.5B by hand: 494,032,768 parameters, its embedding 151,936 × 896 × 4 B = 519.3 MiB', () => {
    // q/k/v carry biases (Qwen2): q 896², k,v 128·896, o 896², MLP 3·4864·896, 2 norms
    const layer = 896 * 896 + 896 + 2 * (128 * 896 + 128) + 896 * 896 + 3 * 4864 * 896 + 2 * 896;
    const params = 151936 * 896 + 24 * layer + 896;
    expect(params).toBe(494_032_768);
    const plan = planMemory(qwen, ctx1024, roomy);
    expect(plan.params).toBe(params);
    expect(plan.f32Bytes).toBe(params * 4);
    expect(plan.largest.bytes).toBe(544_538_624);
    expect((plan.largest.bytes / MiB).toFixed(1)).toBe('519.3');
    // sized by the context asked for: max_position_embeddings (32,768) would make it 32× larger
    expect(plan.kvCacheBytes).toBe(2 * 24 * 2 * 1024 * 64 * 4 + 1024 * 4);
  });

  it('splits the 519 MiB embedding under the 128 MiB default binding into 5 row parts, so it fits', () => {
    const plan = planMemory(qwen, ctx1024, defaults);
    const rows = Math.floor((128 * MiB) / (896 * 4)); // 37,449 rows per part
    expect(plan.vocabParts).toBe(Math.ceil(151936 / rows));
    expect(plan.vocabParts).toBe(5);
    expect(plan.largest).toEqual({ what: 'model.embed_tokens.weight (1 of 5 parts)', bytes: rows * 896 * 4 });
    expect(plan.problems).toEqual([]);
  });

  it('says what does not fit, with the numbers', () => {
    const tight = { maxBufferSize: 256 * MiB, maxStorageBufferBindingSize: 2 * 1024, deviceBytes: GiB };
    const plan = planMemory(qwen, { promptTokens: 32000, maxNewTokens: 1000, batch: 1 }, tight);
    const text = plan.problems.join('\n');
    expect(text).toContain('model.embed_tokens.weight: one row of 3.5 KiB is past maxStorageBufferBindingSize 2.0 KiB');
    expect(text).toMatch(/model\.layers\.0\.mlp\.gate_proj\.weight needs 16\.6 MiB, past maxStorageBufferBindingSize/);
    expect(text).toMatch(/weights 1.84 GiB \+ KV cache .* past the device memory of 1.00 GiB/);
    expect(text).toContain('prompt 32000 + 1000 new tokens = 33000, past the context of 32768');
  });

  it('fits SmolLM2 in a 1 GiB budget but not Qwen2.5-0.5B, whose float32 weights alone are 1.84 GiB', () => {
    const budget = { ...roomy, deviceBytes: GiB };
    expect(planMemory(smol, ctx1024, budget).problems).toEqual([]);
    expect(planMemory(qwen, ctx1024, budget).problems).toEqual([expect.stringContaining('past the device memory')]);
  });

  it('counts f16 weights at 2 bytes a matrix entry, norms and biases at 4: Qwen2.5-0.5B then fits 1.5 GiB', () => {
    // SmolLM2-135M: 61 norms of 576 (two a layer and the final one) stay f32, every other parameter is a matrix
    const norms = 61 * 576;
    const half = planMemory(smol, { ...ctx1024, weights: 'f16' }, roomy);
    expect(half.weightBytes).toBe((134_515_008 - norms) * 2 + norms * 4);
    expect(half.f32Bytes).toBe(134_515_008 * 4);
    expect(half.totalBytes).toBe(half.weightBytes + half.kvCacheBytes + half.activationBytes);
    // Qwen2.5-0.5B: its q/k/v biases are f32 too; 0.92 GiB of weights instead of 1.84
    const budget = { ...roomy, deviceBytes: 1.5 * GiB };
    const qwenHalf = planMemory(qwen, { ...ctx1024, weights: 'f16' }, budget);
    expect(qwenHalf.weightBytes / GiB).toBeCloseTo(0.92, 2);
    expect(qwenHalf.problems).toEqual([]);
    expect(planMemory(qwen, ctx1024, budget).problems).toEqual([expect.stringContaining('past the device memory')]);
  });

  it('estimates more activations for a longer prompt, and for a decode step over a longer cache', () => {
    const short = planMemory(smol, { promptTokens: 16, maxNewTokens: 8, batch: 1 }, roomy);
    const long = planMemory(smol, { promptTokens: 1000, maxNewTokens: 24, batch: 1 }, roomy);
    expect(long.activationBytes).toBeGreaterThan(short.activationBytes);
    expect(prefillActivationBytes(smol, 1000, 1)).toBeGreaterThan(prefillActivationBytes(smol, 16, 1));
    expect(decodeActivationBytes(smol, 1024, 1)).toBeGreaterThan(decodeActivationBytes(smol, 24, 1));
    expect(long.totalBytes).toBe(long.f32Bytes + long.kvCacheBytes + long.activationBytes);
  });

  it('knows the stored dtypes and refuses others by name', () => {
    expect([
      storedBytesPerElement('float32'),
      storedBytesPerElement('float16'),
      storedBytesPerElement('bfloat16'),
    ]).toEqual([4, 2, 2]);
    expect(() => storedBytesPerElement('int8')).toThrow('torch_dtype "int8" is not supported');
  });
});

/** The most bytes tfjs held at once while f ran, above what it held before (its own count, every tensor). */
function peakBytes(f: () => tf.Tensor): number {
  const state = (tf.engine() as unknown as { state: { numBytes: number } }).state;
  let now = state.numBytes;
  const before = now;
  let peak = now;
  Object.defineProperty(state, 'numBytes', {
    configurable: true,
    get: () => now,
    set: (v: number) => {
      now = v;
      peak = Math.max(peak, v);
    },
  });
  try {
    f().dispose();
  } finally {
    Object.defineProperty(state, 'numBytes', { configurable: true, writable: true, value: now });
  }
  return peak - before;
}

// the stock ops on CPU, and the fused WebGPU kernels where Node reaches an adapter (their own fitted terms)
const paths: [KernelPath, BackendName][] = (await testBackends()).includes('webgpu')
  ? [
      ['stock', 'cpu'],
      ['fused', 'webgpu'],
    ]
  : [['stock', 'cpu']];

/** The most bytes of WebGPU buffers in use while f ran, above those in use before (a view counted once). */
function bufferPeak(f: () => tf.Tensor): number {
  const counters = installCounters();
  counters.reset();
  const before = counters.counts.peakDeviceBytes;
  try {
    f().dispose();
    return counters.counts.peakDeviceBytes - before;
  } finally {
    counters.uninstall();
  }
}

// measured: tfjs's count on CPU, held within 15%; on WebGPU the buffers in use, which the fused terms bound
// within 2.2× (the peak moves with when tfjs submits its commands). The fused decode step holds a few KiB of
// buffers: its terms (fitted to tfjs's count) only bound it.
const within = (path: KernelPath) => (path === 'fused' ? [2.2, Infinity, 2.2] : [1.15, 1.15, 1.15]);

function checkShape(path: KernelPath, C: number, I: number, H: number, Hkv: number, P: number, L = 3, V = 300) {
  const ids = { vocab_size: V, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 };
  const sizes = { hidden_size: C, intermediate_size: I, num_attention_heads: H, num_key_value_heads: Hkv };
  const cfg = presetConfig('nano', ids, { ...sizes, num_hidden_layers: L, max_position_embeddings: 1024 });
  const p = initParams(cfg, 1);
  const packed = path === 'fused' ? decodeWeights(p, cfg) : undefined;
  const cache = createKVCache(cfg, 1, P + 8);
  const prompt = tf.zeros([1, P], 'int32') as tf.Tensor2D,
    mask = tf.ones([1, P], 'int32') as tf.Tensor2D,
    next = tf.tensor1d([3], 'int32');
  // and one prompt prefilled once for a group of 4 rows (GRPO's sampling)
  const group = createKVCache(cfg, 4, P + 8);
  const runs = [
    () => prefill(p, cfg, cache, prompt, mask),
    () => decodeStep(p, cfg, cache, next, [P], P, packed),
    () => prefill(p, cfg, group, prompt, mask, [0, 0, 0, 0]),
  ];
  // on WebGPU a first run uploads the weights made on the host: measure a second
  if (path === 'fused') for (const r of runs) r().dispose();
  const peak = path === 'fused' ? bufferPeak : peakBytes;
  const measured = runs.map(peak);
  const estimated = [
    prefillActivationBytes(cfg, P, 1, 1, path),
    decodeActivationBytes(cfg, P + 8, 1, path),
    prefillActivationBytes(cfg, P, 1, 4, path),
  ];
  group.dispose();
  const what = ['prefill', 'decode step', 'shared prefill'];
  for (let i = 0; i < 3; i++) {
    console.log(`${path} C ${C} P ${P} ${what[i]}: planned ${estimated[i]}, measured ${measured[i]}`);
    expect(estimated[i], what[i]).toBeGreaterThanOrEqual(measured[i]);
    expect(estimated[i], what[i]).toBeLessThanOrEqual(within(path)[i] * measured[i]);
  }
  packed?.dispose();
  tf.dispose([...Object.values(p), prompt, mask, next]);
  cache.dispose();
}

describe.each(paths)('activation estimate against the measured peak, %s path (%s)', (path, backend) => {
  beforeAll(async () => {
    await switchTestBackend(backend);
    switchFusedKernels(path === 'fused');
  });
  afterAll(() => switchFusedKernels(false));

  // GQA 2:1 and 3:1 (repeated kv heads on the stock path) and plain multi-head attention; MLP 1× to 5.5× C
  it.each([
    [64, 176, 4, 2, 64],
    [96, 256, 6, 2, 96],
    [128, 352, 4, 4, 64],
    [64, 352, 4, 1, 64],
  ])(
    'bounds the peak of a prefill, a decode step and a shared prefill (C %i, I %i, H %i, Hkv %i, P %i)',
    (C, I, H, Hkv, P) => checkShape(path, C, I, H, Hkv, P),
  );

  // a long prompt where the bias's P² terms lead (the tiny Qwen2 fixture's width, a judgement's length)
  it.runIf(path === 'fused')('bounds them for a 512-token prompt', () => checkShape(path, 56, 80, 7, 1, 512, 2, 576));
});

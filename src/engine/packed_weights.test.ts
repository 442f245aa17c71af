// What must hold: a model loaded to infer only (`pack`) holds each layer's q|k|v and gate|up packed and none of
// their members, so its tensors are one copy of its weights — tf.memory().numBytes after loading is exactly its
// float32 weight bytes (1.0×; the bound is 1.2×) — and stays so after every generation. It gives the
// unpacked model's logits and greedy ids (Qwen2's biases, Qwen3's q/k norms and head_dim, Llama's MLP biases;
// stock, and fused on WebGPU). On the fused path its generation peaks lower than the unpacked model's by the
// packed copy the latter builds per generation (the bug this guards against: a second copy per generate()).
// Saving a packed model writes the members (Hugging Face layout); adapters on a packed model are refused.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { modelFromFiles, paramsToCheckpoint, type RunnableModel } from './checkpoint';
import { generate } from './generate';
import { TINY_VARIANTS, tinyCheckpoint } from './hf/tiny_checkpoint';
import { fusedKernelsOn, onWebGPU, switchFusedKernels } from './kernels/fused';
import { addLora } from './lora';
import { forward } from './model';
import { packedQkvSizes, packGroups } from './packed_weights';
import { countParams, paramShapes } from './param_names';
import { switchTestBackend, testBackends } from './test_backends';

const VARIANTS = ['qwen2-sharded-bf16', 'qwen3-head-dim-f16', 'llama-biases-llama3-rope-f16'];
const PROMPTS = [
  [5, 9, 4, 17, 3],
  [8, 2],
];
// WebGPU fused only: its stock path is the CPU's code, and SwiftShader is slow
const runs = [...(await testBackends()), 'wasm' as const].map((b) => ({ b, f: b === 'webgpu' }));

const greedy = (m: RunnableModel, newTokens: number) =>
  generate(m.params, m.cfg, PROMPTS, {
    maxNewTokens: newTokens,
    temperature: 0,
    seed: 1,
    eosIds: [],
    padId: m.tok.padId,
    readEvery: newTokens,
  });

/** Bytes of the packed tensors the fused path reads: what an unpacked model copies per generation. */
const packBytes = (m: RunnableModel) => {
  const shapes = paramShapes(m.cfg);
  return packGroups(m.cfg).reduce(
    (n, g) => n + g.members.reduce((k, x) => k + shapes[x].reduce((a, b) => a * b, 4), 0),
    0,
  );
};

/** One layer's packed q|k|v and gate|up outputs over the prompts, [B, P, (H + 2·Hkv)·D + 2·I] floats. */
const packedOutputBytes = ({ cfg }: RunnableModel) => {
  const width = packedQkvSizes(cfg).reduce((a, b) => a + b) + 2 * cfg.intermediate_size;
  return PROMPTS.length * Math.max(...PROMPTS.map((p) => p.length)) * width * 4;
};

describe.each(runs)('packed q|k|v and gate|up on $b, fused $f', ({ b, f }) => {
  beforeAll(() => switchTestBackend(b));
  afterEach(() => switchFusedKernels(false));

  for (const name of VARIANTS) {
    it(`${name}: one copy of the weights, flat across generations; the unpacked model's logits and ids`, async () => {
      switchFusedKernels(f);
      const files = tinyCheckpoint(TINY_VARIANTS.find((v) => v.name === name)!, 3).files;
      const before = tf.memory().numBytes;
      const packed = modelFromFiles(files, { pack: true });
      const f32Bytes = 4 * countParams(packed.cfg);
      expect(tf.memory().numBytes - before).toBe(f32Bytes);
      const names = Object.keys(packed.params);
      expect(names.filter((n) => /\.(q|k|v|gate|up)_proj\.|\.(q|k)_norm\./.test(n))).toEqual([]);
      expect(names.filter((n) => /qkv_proj\.weight|gate_up_proj\.weight/.test(n))).toHaveLength(4);

      const unpacked = modelFromFiles(files);
      const ids = tf.tensor2d([PROMPTS[0]], undefined, 'int32');
      const [a, u] = [packed, unpacked].map((m) => forward(m.params, m.cfg, ids));
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, u))));
      const diff = (await d.data())[0];
      d.dispose();
      expect(diff).toBeLessThanOrEqual(b === 'cpu' ? 0 : 1e-5);
      tf.dispose([a, u, ids]);

      const loaded = tf.memory().numBytes;
      const peaks: number[] = [],
        tokens: number[][][] = [];
      for (const m of [packed, unpacked]) {
        const prof = await tf.profile(async () => {
          tokens.push((await greedy(m, 5)).tokens);
          return [];
        });
        peaks.push(prof.peakBytes);
      }
      expect(tokens[0]).toEqual(tokens[1]);
      await greedy(packed, 3);
      expect(tf.memory().numBytes).toBe(loaded); // every generation freed what it made
      // the packed matmuls' outputs live beside their split parts within a layer of the prefill (at most two
      // layers' worth over the prompt): transient, and nothing of the weights
      const slack = 2 * packedOutputBytes(packed);
      if (fusedKernelsOn() && onWebGPU()) expect(peaks[1] - peaks[0]).toBeGreaterThanOrEqual(packBytes(packed) - slack);
      else expect(peaks[0] - peaks[1]).toBeLessThanOrEqual(slack);
      tf.dispose([...Object.values(packed.params), ...Object.values(unpacked.params)]);
    });
  }

  it.runIf(b === 'cpu')('a packed model saves its members; adapters on it are refused', async () => {
    const files = tinyCheckpoint(TINY_VARIANTS.find((v) => v.name === 'qwen3-head-dim-f16')!, 3).files;
    const packed = modelFromFiles(files, { pack: true }),
      unpacked = modelFromFiles(files);
    const tokenizer = {} as Parameters<typeof paramsToCheckpoint>[2]; // the tensors are what is compared
    const p = await paramsToCheckpoint(packed.params, packed.cfg, tokenizer),
      u = await paramsToCheckpoint(unpacked.params, unpacked.cfg, tokenizer);
    expect(Object.keys(p.tensors).sort()).toEqual(Object.keys(u.tensors).sort());
    for (const [n, t] of Object.entries(u.tensors)) {
      expect(p.tensors[n].shape, n).toEqual(t.shape);
      expect(Array.from(p.tensors[n].data), n).toEqual(Array.from(t.data));
    }
    const lora = { rank: 2, alpha: 4, dropout: 0, targets: ['q_proj'] as const, rslora: false };
    expect(() => addLora(packed.params, packed.cfg, lora)).toThrow(/loaded to infer only/);
    tf.dispose([...Object.values(packed.params), ...Object.values(unpacked.params)]);
  });
});

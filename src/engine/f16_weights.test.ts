// What must hold: a model loaded to infer only on WebGPU with weights 'f16' holds every matrix (embedding, the
// q|k|v and gate|up packs, o, down, the LM head, tied or not) as half-precision words and no float32 copy of
// any: its tensor bytes are 2 per matrix value + 4 per norm/bias value (≈ half the f32 model), flat across
// generations. Its logits equal, within 1e-4 of the largest logit, the f32 path's on the same weights rounded
// to f16 (the only difference then is the order of f32 sums), and within 1e-2 the f32 path's on the original
// weights (rounding each weight to 11 bits moves a logit by ~2^-11 relative per product, summed over K); greedy
// ids equal on the fixtures' prompts (Llama tied like SmolLM2, Qwen2 with biases, sharded; Qwen3 with q/k
// norms and head_dim; fused decode and the stock prefill both read the words), and with a tied embedding held
// in row parts past one GPU binding; saved, its words are the f32 values they hold. A bf16 weight past 65504 refuses
// f16 for the whole model, with the tensor named, and the model loads in f32; off WebGPU 'f16' loads f32.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { modelFromFiles, paramsToCheckpoint, type RunnableModel } from './checkpoint';
import { f16BitsToF32, toF16Bits, unpackF16 } from './f16';
import { hasF16Weights } from './f16_weights';
import { generate } from './generate';
import { safetensorsFile, TINY_VARIANTS, tinyCheckpoint, type TensorToWrite } from './hf/tiny_checkpoint';
import { INDEX_FILE, SINGLE_FILE } from './hf/weights';
import { switchFusedKernels } from './kernels/fused';
import { forward } from './model';
import { createRng } from './rng';
import { switchTestBackend, testBackends } from './test_backends';

const VARIANTS = ['llama-tied-bf16', 'qwen2-sharded-bf16', 'qwen3-head-dim-f16'];
const PROMPTS = [
  [5, 9, 4, 17, 3],
  [8, 2],
];
const backends = await testBackends();

/**
 * A variant's checkpoint as one F32 file: its matrices moved off the f16 grid by a seeded ±2^-9 so rounding
 * to f16 changes them (`round`: rounded to the nearest half, as the f16 path holds them), or a value of
 * `big` put into one matrix, written in `dtype`.
 */
function variantFiles(
  name: string,
  o: { round?: boolean; big?: number; dtype?: 'F32' | 'BF16' } = {},
): Record<string, Uint8Array> {
  const { files, tensors } = tinyCheckpoint(TINY_VARIANTS.find((v) => v.name === name)!, 4);
  const rng = createRng(9);
  const out: TensorToWrite[] = Object.entries(tensors).map(([n, t]) => {
    let data = t.data;
    if (t.shape.length === 2) {
      data = data.map((v) => v + (rng.next() * 2 - 1) / 512);
      if (o.round) data = Float32Array.from(toF16Bits(data), f16BitsToF32);
      if (o.big && n.endsWith('layers.1.self_attn.o_proj.weight')) data[3] = o.big;
    }
    return [n, o.dtype ?? 'F32', t.shape, data];
  });
  const kept = Object.fromEntries(Object.entries(files).filter(([f]) => !f.endsWith('.safetensors')));
  delete kept[INDEX_FILE];
  return { ...kept, [SINGLE_FILE]: safetensorsFile(out) };
}

const greedy = async (m: RunnableModel) =>
  (
    await generate(m.params, m.cfg, PROMPTS, {
      maxNewTokens: 5,
      temperature: 0,
      seed: 1,
      eosIds: [],
      padId: m.tok.padId,
      readEvery: 5,
    })
  ).tokens;

async function logits(m: RunnableModel): Promise<Float32Array> {
  const ids = tf.tensor2d([PROMPTS[0]], undefined, 'int32');
  const y = forward(m.params, m.cfg, ids);
  const out = (await y.data()) as Float32Array;
  tf.dispose([y, ids]);
  return out;
}

/** max |a − b| relative to max |b|. */
function relDiff(a: Float32Array, b: Float32Array): number {
  let d = 0,
    s = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return d / s;
}

const free = (...ms: RunnableModel[]) => tf.dispose(ms.flatMap((m) => Object.values(m.params)));

describe.each(backends)('half-precision weights on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));
  afterEach(() => switchFusedKernels(false));

  if (backend !== 'webgpu') {
    it("weights 'f16' off WebGPU load float32", () => {
      const m = modelFromFiles(variantFiles('qwen3-head-dim-f16'), { pack: true, weights: 'f16' });
      expect(hasF16Weights(m.params)).toBe(false);
      free(m);
    });
    return;
  }

  for (const name of VARIANTS) {
    it(`${name}: matrices as f16 words only (≈ ½ the bytes, flat); logits and greedy ids of the f32 path`, async () => {
      switchFusedKernels(true);
      const files = variantFiles(name);
      const before = tf.memory().numBytes;
      const m16 = modelFromFiles(files, { pack: true, weights: 'f16' });
      const loaded = tf.memory().numBytes;
      let want = 0,
        f32 = 0;
      for (const [n, t] of Object.entries(m16.params)) {
        const wide = t.rank === 2 ? t.size * 2 : t.size; // values: a word holds two
        expect(t.dtype, n).toBe(t.rank === 2 ? 'int32' : 'float32');
        want += t.size * 4;
        f32 += wide * 4;
      }
      expect(loaded - before).toBe(want);
      console.log(`${name}: weights ${want} bytes in f16, ${f32} in f32 (${(want / f32).toFixed(3)}×)`);
      expect(want / f32).toBeLessThan(0.55);

      const rounded = modelFromFiles(variantFiles(name, { round: true }), { pack: true, weights: 'f32' });
      const m32 = modelFromFiles(files, { pack: true, weights: 'f32' });
      const [z16, zR, z32] = [await logits(m16), await logits(rounded), await logits(m32)];
      const [dR, d32] = [relDiff(z16, zR), relDiff(z16, z32)];
      console.log(
        `${name}: logits vs f32 on rounded weights ${dR.toExponential(2)}, on the originals ${d32.toExponential(2)}`,
      );
      expect(dR).toBeLessThanOrEqual(1e-4);
      expect(d32).toBeLessThanOrEqual(1e-2);
      expect(d32).toBeGreaterThan(0); // the originals are off the f16 grid: rounding is exercised

      expect(await greedy(m16)).toEqual(await greedy(m32));
      await greedy(m16);
      free(rounded, m32);
      expect(tf.memory().numBytes).toBe(loaded); // every generation freed what it made
      free(m16);
    });
  }

  it('a tied embedding in row parts (past one binding) is read as f16 parts: the same logits and ids', async () => {
    switchFusedKernels(true);
    const files = variantFiles('llama-tied-bf16');
    const whole = modelFromFiles(files, { pack: true, weights: 'f16' });
    const [V, halfC] = whole.params['model.embed_tokens.weight'].shape;
    const split = modelFromFiles(files, { pack: true, weights: 'f16', bindingBytes: Math.ceil((V * halfC * 8) / 3) });
    const parts = Object.keys(split.params).filter((n) => n.startsWith('model.embed_tokens.weight#'));
    expect(parts.length).toBe(3);
    for (const n of parts) expect(split.params[n].dtype, n).toBe('int32');
    expect(relDiff(await logits(split), await logits(whole))).toBe(0);
    expect(await greedy(split)).toEqual(await greedy(whole));
    // saved, the words are the f32 values they hold (exact), the table whole again
    const saved = await paramsToCheckpoint(split.params, split.cfg, {} as never);
    const embed = saved.tensors['model.embed_tokens.weight'];
    expect(embed.shape).toEqual([split.cfg.vocab_size, split.cfg.hidden_size]);
    const words = await whole.params['model.embed_tokens.weight'].data();
    expect(Array.from(embed.data)).toEqual(Array.from(unpackF16(words as Int32Array)));
    free(whole, split);
  });

  it('a bf16 weight past 65504 refuses f16 for the model, naming the tensor; it loads in f32', async () => {
    const said: string[] = [];
    const files = variantFiles('qwen3-head-dim-f16', { big: 70000, dtype: 'BF16' });
    const m = modelFromFiles(files, { pack: true, weights: 'f16', onF16Refused: (why) => said.push(why) });
    expect(hasF16Weights(m.params)).toBe(false);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/half-precision weights refused, loading float32: .*layers\.1\.self_attn\.o_proj\.weight/);
    expect(said[0]).toMatch(/65504/);
    const o = await m.params['model.layers.1.self_attn.o_proj.weight'].data();
    expect(o[3]).toBeGreaterThan(65504); // as read, not Infinity
    free(m);
  });
});

// LoRA: adapter gradients against central finite differences (with dropout on, same seed each evaluation);
// B = 0 leaves every logit of the base as it was, on our nano model and on each Hugging Face member of the
// family; adapters switched off give the base's log-probs exactly even with B ≠ 0 (GRPO's reference); the
// merged weights W + s·B·A give the adapted model's logits; the projection matches a float64 JS reference
// with α/r and with rsLoRA's α/√r; base weights get no gradient; dropout is seeded and training-only; the
// fused decode's packed weights carry the adapters; on a half-precision base (WebGPU) merging reads its halves
// and folding rounds W + s·B·A to the nearest half as the host does; nothing leaks.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { modelFromFiles } from './checkpoint';
import { packF16, toF16Bits, unpackF16 } from './f16';
import { halveFrozenWeights } from './f16_base';
import { type LlamaConfig, presetConfig } from './config';
import { packDecodeWeights } from './decode';
import { TINY_VARIANTS, tinyCheckpoint } from './hf/tiny_checkpoint';
import {
  addLora,
  LORA_TARGETS,
  type LoraSettings,
  loraModules,
  loraParams,
  loraScale,
  mergeAndResetLora,
  mergedParams,
  mergedWeight,
  removeLora,
  stackAdapters,
  trainableParams,
  withAdaptersOff,
  withLoraDropout,
} from './lora';
import { forward, initParams, maskedNll, type ModelParams, project, tokenLogProbs } from './model';
import { createRng } from './rng';
import { switchTestBackend, testBackends } from './test_backends';

const cfg = presetConfig('nano', { vocab_size: 40, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 });
const backends = await testBackends();
const SETTINGS: LoraSettings = { rank: 4, alpha: 8, dropout: 0, targets: LORA_TARGETS, rslora: false };

const ids = () =>
  tf.tensor2d(
    [
      [1, 5, 9, 4, 7, 3],
      [1, 8, 8, 2, 6, 11],
    ],
    undefined,
    'int32',
  );
const targets = () =>
  tf.tensor2d(
    [
      [5, 9, 4, 7, 3, 12],
      [8, 8, 2, 6, 11, 13],
    ],
    undefined,
    'int32',
  );

/** Gives every B random entries, so the adapters change the model (B = 0 would hide most mistakes). */
function randomiseB(params: ModelParams, seed: number, scale = 0.2): void {
  let s = seed;
  for (const [name, v] of Object.entries(loraParams(params)))
    if (name.endsWith('lora_B.weight')) {
      const b = tf.randomNormal(v.shape, 0, scale, 'float32', s++);
      v.assign(b);
      b.dispose(); // assign shares the data; the handle is ours
    }
}

async function logits(params: ModelParams, c: LlamaConfig, x: tf.Tensor2D): Promise<Float32Array> {
  const y = forward(params, c, x);
  const out = (await y.data()) as Float32Array;
  y.dispose();
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.each(backends)('LoRA on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));

  it('adapters off give the base log-probs exactly with B ≠ 0, and on they differ', async () => {
    const params = initParams(cfg, 4);
    const [x, t] = [ids(), targets()];
    const read = async (f: () => tf.Tensor) => {
      const y = f();
      const out = (await y.data()) as Float32Array;
      y.dispose();
      return out;
    };
    const base = await read(() => tokenLogProbs(params, cfg, x, t));
    addLora(params, cfg, SETTINGS, { seed: 3 });
    randomiseB(params, 21);
    const off = await read(() => withAdaptersOff(() => tokenLogProbs(params, cfg, x, t)));
    const on = await read(() => tokenLogProbs(params, cfg, x, t));
    expect(maxAbsDiff(off, base)).toBe(0);
    expect(maxAbsDiff(on, base)).toBeGreaterThan(1e-3);
    // the switch is scoped: after it, the adapters are on again
    expect(maxAbsDiff(await read(() => tokenLogProbs(params, cfg, x, t)), on)).toBe(0);
    tf.dispose([...Object.values(params), x, t]);
  });

  it('merged weights W + s·B·A give the adapted logits (1e-5), and equal a float64 reference', async () => {
    const params = initParams({ ...cfg, initializer_range: 0.1 }, 6);
    addLora(params, cfg, { ...SETTINGS, rank: 3, alpha: 5 }, { seed: 4 });
    randomiseB(params, 31, 0.05);
    const x = ids();
    const adapted = await logits(params, cfg, x);
    const merged: ModelParams = {};
    for (const [n, v] of Object.entries(params)) if (!n.includes('lora_')) merged[n] = v;
    const fresh: tf.Variable[] = [];
    for (const m of loraModules(params)) {
      merged[`${m}.weight`] = tf.variable(mergedWeight(params, m));
      fresh.push(merged[`${m}.weight`]);
    }
    expect(maxAbsDiff(await logits(merged, cfg, x), adapted)).toBeLessThanOrEqual(1e-5);
    // one merged weight against W + (α/r)·B·A summed in float64
    const m = 'model.layers.1.mlp.down_proj';
    const [W, A, B] = await Promise.all(
      ['weight', 'lora_A.weight', 'lora_B.weight'].map((e) => params[`${m}.${e}`].data()),
    );
    const [out, inp] = params[`${m}.weight`].shape,
      r = 3,
      s = 5 / 3;
    const want = new Float64Array(out * inp);
    for (let o = 0; o < out; o++)
      for (let i = 0; i < inp; i++) {
        let ba = 0;
        for (let k = 0; k < r; k++) ba += B[o * r + k] * A[k * inp + i];
        want[o * inp + i] = W[o * inp + i] + s * ba;
      }
    expect(maxAbsDiff(await merged[`${m}.weight`].data(), want)).toBeLessThanOrEqual(1e-6);
    tf.dispose([...Object.values(params), ...fresh, x]);
  });

  it.each([false, true])('a projection is x·Wᵀ + s·(x·Aᵀ)·Bᵀ with s = α/r or α/√r (rsLoRA %s), float64', async (rs) => {
    const s = { ...SETTINGS, rank: 4, alpha: 6, rslora: rs };
    expect(loraScale(s)).toBeCloseTo(rs ? 3 : 1.5, 12);
    const params = initParams(cfg, 8);
    addLora(params, cfg, s, { seed: 9 });
    randomiseB(params, 41);
    const pre = 'model.layers.0.self_attn.';
    const C = cfg.hidden_size;
    const xData = Float32Array.from({ length: 3 * C }, (_, i) => Math.sin(i * 0.7));
    const x = tf.tensor2d(xData, [3, C]);
    const y = project(params, pre, 'q_proj', x);
    const got = await y.data();
    const [W, A, B] = await Promise.all(
      ['weight', 'lora_A.weight', 'lora_B.weight'].map((e) => params[`${pre}q_proj.${e}`].data()),
    );
    const out = params[`${pre}q_proj.weight`].shape[0],
      r = s.rank;
    const want = new Float64Array(3 * out);
    for (let n = 0; n < 3; n++)
      for (let o = 0; o < out; o++) {
        let base = 0;
        for (let i = 0; i < C; i++) base += xData[n * C + i] * W[o * C + i];
        let up = 0;
        for (let k = 0; k < r; k++) {
          let ax = 0;
          for (let i = 0; i < C; i++) ax += xData[n * C + i] * A[k * C + i];
          up += ax * B[o * r + k];
        }
        want[n * out + o] = base + loraScale(s) * up;
      }
    expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-5);
    tf.dispose([...Object.values(params), x, y]);
  });

  if (backend === 'webgpu')
    it('on an f16 base: merged = halves + s·B·A; folding rounds it to the nearest half (bit for bit)', async () => {
      const params = initParams({ ...cfg, initializer_range: 0.1 }, 5);
      addLora(params, cfg, SETTINGS, { seed: 5 });
      randomiseB(params, 71, 0.05);
      await halveFrozenWeights(params);
      const m = loraModules(params)[0];
      const [A, B] = [params[`${m}.lora_A.weight`], params[`${m}.lora_B.weight`]];
      const [r, K] = A.shape;
      const N = B.shape[0];
      const halves = unpackF16((await params[`${m}.weight`].data()) as Int32Array);
      const [a, b] = [await A.data(), await B.data()];
      const want = new Float64Array(N * K);
      for (let n = 0; n < N; n++)
        for (let k = 0; k < K; k++) {
          let ba = 0;
          for (let j = 0; j < r; j++) ba += b[n * r + j] * a[j * K + k];
          want[n * K + k] = halves[n * K + k] + loraScale(SETTINGS) * ba;
        }
      const merged = mergedWeight(params, m);
      const got = (await merged.data()) as Float32Array;
      merged.dispose();
      expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-6);
      const adapted = await logits(params, cfg, ids());
      mergeAndResetLora(params, 6);
      expect(Array.from(await params[`${m}.weight`].data())).toEqual(Array.from(packF16(toF16Bits(got))));
      // the model now computes W + s·B·A rounded to halves: close to before, and π_ref (adapters off) is it
      const folded = await logits(params, cfg, ids());
      expect(maxAbsDiff(folded, adapted)).toBeLessThanOrEqual(2e-3);
      expect(maxAbsDiff(folded, adapted)).toBeGreaterThan(0); // the rounding is real
      const off = await withAdaptersOff(() => forward(params, cfg, ids())).data();
      expect(maxAbsDiff(off, folded)).toBe(0);
      tf.dispose(Object.values(params));
    });
});

// CPU only: many forwards (finite differences, five models); the math is the same on every backend
describe('LoRA on cpu', () => {
  beforeAll(() => switchTestBackend('cpu'));

  it('adapter gradients match central finite differences, dropout on (relative 5e-2, absolute 2e-3)', async () => {
    const params = initParams({ ...cfg, initializer_range: 0.3 }, 3);
    addLora(params, cfg, { ...SETTINGS, dropout: 0.25 }, { seed: 5 });
    randomiseB(params, 11, 0.3);
    const [x, t] = [ids(), targets()];
    const mask = tf.tensor2d([
      [0, 1, 1, 1, 1, 1],
      [1, 1, 1, 0, 1, 1],
    ]);
    // the same seed each evaluation: the same dropout masks, so the loss is one smooth function of the adapters
    const loss = () => withLoraDropout(7, () => maskedNll(params, cfg, x, t, mask));
    const all = Object.values(params);
    const { grads } = tf.variableGrads(loss, all);
    // base weights are frozen: tfjs gives them no gradient at all
    const withGrad = Object.entries(params).filter(([, v]) => grads[v.name]);
    expect(withGrad.map(([n]) => n).sort()).toEqual(Object.keys(loraParams(params)).sort());
    const names = [
      'model.layers.0.self_attn.q_proj.lora_A.weight',
      'model.layers.0.self_attn.v_proj.lora_B.weight',
      'model.layers.1.self_attn.o_proj.lora_A.weight',
      'model.layers.0.mlp.gate_proj.lora_B.weight',
      'model.layers.1.mlp.down_proj.lora_A.weight',
      'model.layers.1.mlp.up_proj.lora_B.weight',
    ];
    const eps = 1e-2;
    for (const n of names) {
      const v = params[n];
      const g = await grads[v.name].data();
      const base = await v.data();
      const order = Array.from(g.keys())
        .sort((a, b) => Math.abs(g[b]) - Math.abs(g[a]))
        .slice(0, 3);
      for (const i of order) {
        const at = async (d: number) => {
          const w = base.slice();
          w[i] += d;
          v.assign(tf.tensor(w, v.shape));
          const l = loss();
          const out = (await l.data())[0];
          l.dispose();
          return out;
        };
        const fd = ((await at(eps)) - (await at(-eps))) / (2 * eps);
        v.assign(tf.tensor(base, v.shape));
        expect(Math.abs(fd - g[i]), `${n}[${i}] fd ${fd} grad ${g[i]}`).toBeLessThanOrEqual(2e-3 + 5e-2 * Math.abs(fd));
      }
    }
    tf.dispose([...Object.values(grads), ...all, x, t, mask]);
  });

  it('with B = 0 the logits equal the base exactly (nano and each Hugging Face family member)', async () => {
    const models: [string, ModelParams, LlamaConfig][] = [['nano', initParams(cfg, 1), cfg]];
    for (const v of TINY_VARIANTS) {
      const m = modelFromFiles(tinyCheckpoint(v, 2).files);
      models.push([v.name, m.params, m.cfg]);
    }
    for (const [name, params, c] of models) {
      const x = tf.tensor2d([[1, 5, 9, 4, 7, 3, 30]], undefined, 'int32');
      const before = await logits(params, c, x);
      addLora(params, c, SETTINGS, { seed: 2 });
      expect(maxAbsDiff(await logits(params, c, x), before), name).toBe(0);
      tf.dispose([...Object.values(params), x]);
    }
  });

  it('A starts kaiming-uniform (|a| ≤ 1/√in, spread over the range), B zero; only adapters are trainable', async () => {
    const params = initParams(cfg, 1);
    const added = addLora(params, cfg, { ...SETTINGS, rank: 8 }, { seed: 1 });
    expect(Object.keys(added)).toHaveLength(cfg.num_hidden_layers * 7 * 2);
    const A = await added['model.layers.1.mlp.down_proj.lora_A.weight'].data();
    const bound = 1 / Math.sqrt(cfg.intermediate_size);
    expect(added['model.layers.1.mlp.down_proj.lora_A.weight'].shape).toEqual([8, cfg.intermediate_size]);
    expect(added['model.layers.1.mlp.down_proj.lora_B.weight'].shape).toEqual([cfg.hidden_size, 8]);
    expect(Math.max(...A.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...A.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect(Array.from(await added['model.layers.0.self_attn.k_proj.lora_B.weight'].data()).every((b) => b === 0)).toBe(
      true,
    );
    expect(Object.keys(trainableParams(params)).sort()).toEqual(Object.keys(added).sort());
    removeLora(params);
    expect(Object.keys(params).some((n) => n.includes('lora_'))).toBe(false);
    expect(Object.values(params).every((v) => v.trainable)).toBe(true);
    tf.dispose(Object.values(params));
  });

  it('refuses bad settings and a second set of adapters, naming the field', () => {
    const params = initParams(cfg, 1);
    expect(() => addLora(params, cfg, { ...SETTINGS, rank: 0 })).toThrow(/rank/);
    expect(() => addLora(params, cfg, { ...SETTINGS, dropout: 1 })).toThrow(/dropout/);
    expect(() => addLora(params, cfg, { ...SETTINGS, targets: ['lm_head' as never] })).toThrow(/lm_head/);
    addLora(params, cfg, SETTINGS);
    expect(() => addLora(params, cfg, SETTINGS)).toThrow(/already has adapters/);
    tf.dispose(Object.values(params));
  });

  it('dropout acts only inside withLoraDropout, and the same seed draws the same masks', async () => {
    const params = initParams(cfg, 2);
    addLora(params, cfg, { ...SETTINGS, dropout: 0.5 }, { seed: 2 });
    randomiseB(params, 51);
    const x = ids();
    const plain = await logits(params, cfg, x);
    const again = await logits(params, cfg, x);
    const drop = (seed: number) => withLoraDropout(seed, () => forward(params, cfg, x)).data();
    const [d1, d1b, d2] = [await drop(1), await drop(1), await drop(2)]; // three small tensors left to the test's end
    expect(maxAbsDiff(again, plain)).toBe(0);
    expect(maxAbsDiff(d1, d1b)).toBe(0);
    expect(maxAbsDiff(d1, plain)).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(d1, d2)).toBeGreaterThan(1e-4);
    expect(() => withAdaptersOff(() => Promise.resolve(1))).toThrow(/synchronous/);
    tf.dispose([...Object.values(params), x]);
  });

  it("the fused decode's packed q|k|v and gate|up weights are the merged ones", async () => {
    const params = initParams(cfg, 3);
    addLora(params, cfg, SETTINGS, { seed: 3 });
    randomiseB(params, 61);
    const packed = packDecodeWeights(params, cfg);
    const pre = 'model.layers.1.self_attn.';
    const want = tf.concat(['q_proj', 'k_proj', 'v_proj'].map((n) => mergedWeight(params, pre + n)));
    expect(maxAbsDiff(await packed.qkv[1].data(), await want.data())).toBe(0);
    const offPacked = withAdaptersOff(() => packDecodeWeights(params, cfg));
    const base = tf.concat(['q_proj', 'k_proj', 'v_proj'].map((n) => params[`${pre}${n}.weight`]));
    expect(maxAbsDiff(await offPacked.qkv[1].data(), await base.data())).toBe(0);
    packed.dispose();
    offPacked.dispose();
    tf.dispose([...Object.values(params), want, base]);
  });

  it('folding the adapters into the base keeps the logits, and adapters off then give that model (1e-5)', async () => {
    const params = initParams({ ...cfg, initializer_range: 0.1 }, 5);
    addLora(params, cfg, SETTINGS, { seed: 5 });
    randomiseB(params, 71, 0.05);
    const adapted = await logits(params, cfg, ids());
    const view = mergedParams(params);
    expect(Object.keys(view.params).some((n) => n.includes('lora_'))).toBe(false);
    expect(maxAbsDiff(await logits(view.params as ModelParams, cfg, ids()), adapted)).toBeLessThanOrEqual(1e-5);
    view.dispose();
    mergeAndResetLora(params, 6);
    expect(maxAbsDiff(await logits(params, cfg, ids()), adapted)).toBeLessThanOrEqual(1e-5);
    const off = await withAdaptersOff(() => forward(params, cfg, ids())).data();
    expect(maxAbsDiff(off, adapted)).toBeLessThanOrEqual(1e-5);
    expect(Object.values(params).filter((v) => v.trainable)).toHaveLength(Object.keys(loraParams(params)).length);
    tf.dispose(Object.values(params));
  });

  it('leaks no tensors through the adapted forward, its gradient and the switches', () => {
    const params = initParams(cfg, 1);
    addLora(params, cfg, { ...SETTINGS, dropout: 0.1 }, { seed: 1 });
    const [x, t] = [ids(), targets()];
    const mask = tf.onesLike(x).toFloat() as tf.Tensor2D;
    const run = () => {
      const { value, grads } = tf.variableGrads(() => withLoraDropout(3, () => maskedNll(params, cfg, x, t, mask)));
      tf.dispose([value, ...Object.values(grads)]);
      tf.dispose(withAdaptersOff(() => forward(params, cfg, x)));
    };
    run();
    const before = tf.memory().numTensors;
    run();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...Object.values(params), x, t, mask]);
  });
});

describe('stackAdapters', () => {
  // s·(B₁A₁ + B₂A₂) in float64 against the stacked adapter's own scale α'/r' (or α'/√r') times B'A'
  it.each([false, true])('one adapter of rank 2r gives the sum of the two updates (rsLoRA %s), float64', (rslora) => {
    const r = 3,
      inp = 5,
      out = 4;
    const rng = createRng(7);
    const rand = (n: number) => Float32Array.from({ length: n }, () => 2 * rng.next() - 1);
    const [a, b] = ['model.layers.0.mlp.up_proj.lora_A.weight', 'model.layers.0.mlp.up_proj.lora_B.weight'];
    const first = { [a]: rand(r * inp), [b]: rand(out * r) };
    const second = { [a]: rand(r * inp), [b]: rand(out * r) };
    const s: LoraSettings = { rank: r, alpha: 5, dropout: 0.1, targets: ['up_proj'], rslora };
    const stacked = stackAdapters(first, second, s);
    expect(stacked.settings).toMatchObject({ rank: 2 * r, rslora, dropout: 0.1 });
    const product = (B: Float32Array, A: Float32Array, k: number, o: number, i: number) => {
      let sum = 0;
      for (let j = 0; j < k; j++) sum += B[o * k + j] * A[j * inp + i];
      return sum;
    };
    const sc = loraScale(s),
      sc2 = loraScale(stacked.settings);
    let worst = 0;
    for (let o = 0; o < out; o++)
      for (let i = 0; i < inp; i++) {
        const want = sc * (product(first[b], first[a], r, o, i) + product(second[b], second[a], r, o, i));
        worst = Math.max(worst, Math.abs(sc2 * product(stacked.weights[b], stacked.weights[a], 2 * r, o, i) - want));
      }
    expect(worst).toBeLessThan(1e-12);
  });
});

// Every fused kernel against its stock composition, on the backend that is running — in Node's tests and
// in the browser (bench.html's "Check kernels"), so anyone can check a real GPU's WGSL, not only ours on
// SwiftShader. Per kernel: max |fused − stock| over the outputs and, for kernels used in training, over
// the gradients of a random projection Σ y·dy with respect to every float input. Shapes are not multiples
// of the 64-thread workgroup; attention has grouped kv heads and left padding.
// The unit tests of each kernel (kernels/*.test.ts) go further (more shapes, dispatch counts, leaks);
// this is the same comparison in a form that runs anywhere.
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from '../config';
import { createKVCache, type KVCache } from '../kv_cache';
import { maskTensors, NEG_SCORE, ropeTables } from '../model';
import { createAdamW } from '../optimizer';
import { sampleTokens, sampleTokensStock } from '../sampling';
import { addRmsNormFused, addRmsNormStock } from './add_rms_norm';
import { attendFused, attendMergedFused, attendMergedStock, attendStock, repeatKv } from './attention';
import { randn } from './check_tensor';
import { fusedKernelsOn, onWebGPU, switchFusedKernels } from './fused';
import { sumSquaresFused, sumSquaresStock } from './grad_norm';
import { writeStepKv, writeStepKvStock, ropeInvFreq } from './kv_write';
import { gatherLogProbsFused, gatherLogProbsStock, logSoftmaxAt, pickTargets } from './log_probs';
import { rmsNormFused, rmsNormStock } from './rms_norm';
import { ropeHeadsStock, ropeQkFused, ropeHeadsFused } from './rope';
import { swigluFused, swigluStock } from './swiglu';
import { swigluPackedFused, swigluPackedStock } from './swiglu_packed';

export const KERNEL_TOLERANCE = 1e-4;

export interface KernelCheck {
  kernel: string;
  shapes: string;
  forward: number; // max |fused − stock| over the outputs
  gradient: number | null; // over the input gradients; null for forward-only kernels (decode, sampling, optimizer)
  pass: boolean;
}

type Fn = (...xs: tf.Tensor[]) => tf.Tensor;

const flat = (ts: tf.Tensor[]) => tf.concat(ts.map((t) => tf.reshape(t, [-1])));

async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  if (a.shape.join() !== b.shape.join()) return NaN;
  const [x, y] = await Promise.all([a.data(), b.data()]);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return x.length === 0 ? NaN : m;
}

function verdict(kernel: string, shapes: string, forward: number, gradient: number | null): KernelCheck {
  const ok = (x: number) => Number.isFinite(x) && x <= KERNEL_TOLERANCE;
  return { kernel, shapes, forward, gradient, pass: ok(forward) && (gradient === null || ok(gradient)) };
}

/** y and all input gradients of Σ y·dy for one implementation, flattened to two tensors. */
function valueAndGrads(f: Fn, inputs: tf.Tensor[], dySeed: number): [tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const y = f(...inputs);
    const dy = randn(y.shape, dySeed);
    const grads = tf.grads((...xs: tf.Tensor[]) => f(...xs))(inputs, dy);
    return [tf.reshape(y, [-1]), flat(grads)];
  });
}

export async function compareDifferentiable(
  kernel: string,
  shapes: string,
  fused: Fn,
  stock: Fn,
  inputs: tf.Tensor[],
): Promise<KernelCheck> {
  const [yf, gf] = valueAndGrads(fused, inputs, 99);
  const [ys, gs] = valueAndGrads(stock, inputs, 99);
  const r = verdict(kernel, shapes, await maxDiff(yf, ys), await maxDiff(gf, gs));
  tf.dispose([yf, gf, ys, gs, ...inputs]);
  return r;
}

/** Outputs only; the results of `fused` and `stock` (and `owned`) are disposed after the comparison. */
async function forwardOnly(
  kernel: string,
  shapes: string,
  fused: () => tf.Tensor,
  stock: () => tf.Tensor,
  owned: tf.Tensor[] = [],
): Promise<KernelCheck> {
  const yf = tf.tidy(fused),
    ys = tf.tidy(stock);
  const r = verdict(kernel, shapes, await maxDiff(yf, ys), null);
  tf.dispose([yf, ys, ...owned]);
  return r;
}

const config = (H: number, Hkv: number, D: number) =>
  presetConfig(
    'nano',
    { vocab_size: 71, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 },
    { hidden_size: H * D, num_attention_heads: H, num_key_value_heads: Hkv },
  );

/** cos, sin [1, 1, T, D] at positions 0..T−1. */
const tables = (T: number, H: number, D: number) =>
  tf.tidy(() => ropeTables(tf.reshape(tf.range(0, T, 1, 'int32'), [1, 1, T]), config(H, H, D)));

/** RMSNorm weights near 1, [67]. */
const normWeight = (seed: number) => tf.tidy(() => tf.add(1, tf.mul(0.1, randn([67], seed))));

/** Causal bias [B, 1, T, T] with row b > 0 left-padded by b + 1 positions. */
const paddedCausal = (B: number, T: number) =>
  tf.tidy(
    () =>
      maskTensors(
        tf.tensor2d(
          Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => (b > 0 && t <= b ? 0 : 1))),
        ),
        B,
        T,
      ).bias,
  );

const grouped = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, bias: tf.Tensor) =>
  attendStock(q, repeatKv(k, q.shape[1]! / k.shape[1]!), repeatKv(v, q.shape[1]! / k.shape[1]!), bias);

/** A cache with random keys and values in layer 1 and the first b + 1 slots of row b closed. */
function filledCache(H: number, Hkv: number, D: number, B: number, Tmax: number): KVCache {
  const cache = createKVCache(config(H, Hkv, D), B, Tmax);
  tf.tidy(() => {
    cache.k[1].assign(randn(cache.k[1].shape, 31));
    cache.v[1].assign(randn(cache.v[1].shape, 32));
    cache.bias.assign(
      tf.tensor2d(
        Array.from({ length: B }, (_, b) => Array.from({ length: Tmax }, (_, t) => (t <= b ? NEG_SCORE : 0))),
      ),
    );
  });
  return cache;
}

/** Runs every check; WebGPU only (elsewhere the fused functions are the stock ones). */
export async function checkFusedKernels(
  onProgress?: (done: number, total: number, last: KernelCheck) => void,
): Promise<KernelCheck[]> {
  if (!onWebGPU()) throw new Error(`the fused kernels are WebGPU programs; the backend is ${tf.getBackend()}`);
  const wasOn = fusedKernelsOn();
  const eps = 1e-5;
  const checks: (() => Promise<KernelCheck>)[] = [
    () =>
      compareDifferentiable(
        'RMSNorm',
        'x [2,7,67]',
        (x, w) => rmsNormFused(x, w, eps),
        (x, w) => rmsNormStock(x, w, eps),
        [randn([2, 7, 67], 1), normWeight(2)],
      ),
    () =>
      compareDifferentiable(
        'residual add + RMSNorm',
        'x, r [2,7,67]',
        (x, r, w) => flat(addRmsNormFused(x, r, w, eps).slice(0, 2)),
        (x, r, w) => flat(addRmsNormStock(x, r, w, eps)),
        [randn([2, 7, 67], 3), randn([2, 7, 67], 4), normWeight(5)],
      ),
    () => {
      const { cos, sin } = tables(9, 3, 10);
      return compareDifferentiable(
        'RoPE with the head split',
        'x [2,9,3·10]',
        (x) => ropeHeadsFused(x, 3, cos, sin),
        (x) => ropeHeadsStock(x, 3, cos, sin),
        [randn([2, 9, 30], 6)],
      ).finally(() => tf.dispose([cos, sin]));
    },
    () => {
      const { cos, sin } = tables(9, 4, 10);
      return compareDifferentiable(
        'RoPE of q and k together',
        'q [2,9,4·10], k [2,9,2·10]',
        (q, k) => flat(ropeQkFused(q, k, 4, 2, cos, sin)),
        (q, k) => flat([ropeHeadsStock(q, 4, cos, sin), ropeHeadsStock(k, 2, cos, sin)]),
        [randn([2, 9, 40], 7), randn([2, 9, 20], 8)],
      ).finally(() => tf.dispose([cos, sin]));
    },
    () => {
      const bias = paddedCausal(2, 11);
      return compareDifferentiable(
        'causal attention, grouped kv heads',
        'q [2,4,11,12], k, v [2,2,11,12]',
        (q, k, v) => attendFused(q, k, v, bias),
        (q, k, v) => grouped(q, k, v, bias),
        [randn([2, 4, 11, 12], 9), randn([2, 2, 11, 12], 10), randn([2, 2, 11, 12], 11)],
      ).finally(() => bias.dispose());
    },
    () => {
      const bias = paddedCausal(2, 11);
      return compareDifferentiable(
        'attention on projected q, k, v, merged heads out',
        'q [2,11,4·12], k, v [2,11,2·12]',
        (q, k, v) => attendMergedFused(q, k, v, bias, 4, 2),
        (q, k, v) => attendMergedStock(q, k, v, bias, 4, 2),
        [randn([2, 11, 48], 12), randn([2, 11, 24], 13), randn([2, 11, 24], 14)],
      ).finally(() => bias.dispose());
    },
    () =>
      compareDifferentiable('SwiGLU', 'gate, up [2,7,45]', swigluFused, swigluStock, [
        randn([2, 7, 45], 15),
        randn([2, 7, 45], 16),
      ]),
    () => {
      const targets = tf.tensor2d(
        Array.from({ length: 2 }, (_, b) => Array.from({ length: 7 }, (_, t) => (13 * b + 5 * t) % 71)),
        [2, 7],
        'int32',
      );
      return compareDifferentiable(
        'target log-probs from logits (τ = 0.7)',
        'logits [2,7,71]',
        (z) => gatherLogProbsFused(z, targets, 0.7),
        (z) => gatherLogProbsStock(z, targets, 0.7),
        [randn([2, 7, 71], 17)],
      ).finally(() => targets.dispose());
    },
    () => {
      const q = randn([3, 4, 1, 16], 18),
        k = randn([3, 2, 19, 16], 19),
        v = randn([3, 2, 19, 16], 20);
      const bias = tf.tensor(
        Array.from({ length: 3 * 19 }, (_, i) => ((i % 19) % 3 === 1 ? NEG_SCORE : 0)),
        [3, 1, 1, 19],
      );
      return forwardOnly(
        'decode attention over the cache',
        'q [3,4,1,16], cache [3,2,19,16]',
        () => attendFused(q, k, v, bias),
        () => grouped(q, k, v, bias),
        [q, k, v, bias],
      );
    },
    () => {
      const gu = randn([3, 90], 21) as tf.Tensor2D;
      return forwardOnly(
        'SwiGLU on packed gate|up',
        'gu [3,2·45]',
        () => swigluPackedFused(gu),
        () => swigluPackedStock(gu),
        [gu],
      );
    },
    () => {
      const gs = [[37], [3, 29], [1037], [5, 7, 11], [2], [64, 3], [129]].map((s, i) => randn(s, 40 + i));
      return forwardOnly(
        'gradient norm terms Σg² (7 gradients)',
        'sizes 2…1037',
        () => sumSquaresFused(gs),
        () => sumSquaresStock(gs),
        gs,
      );
    },
    async () => {
      const H = 4,
        Hkv = 2,
        D = 6,
        B = 3,
        Tmax = 7,
        slot = 5;
      const cfg = config(H, Hkv, D);
      const qkv = randn([B, (H + 2 * Hkv) * D], 22) as tf.Tensor2D;
      const pos = tf.tensor1d([5, 17, 40], 'int32'),
        invFreq = ropeInvFreq(cfg);
      const fusedCache = filledCache(H, Hkv, D, B, Tmax),
        stockCache = filledCache(H, Hkv, D, B, Tmax);
      const qf = writeStepKv(fusedCache, 1, slot, qkv, pos, invFreq, H),
        qs = writeStepKvStock(stockCache, 1, slot, qkv, pos, invFreq, H);
      const all = (c: KVCache, q: tf.Tensor) => flat([q, c.k[1], c.v[1], c.bias]);
      const r = await forwardOnly(
        'RoPE + in-place KV-cache write',
        'qkv [3,(4+2·2)·6], cache [3,2,7,6]',
        () => all(fusedCache, qf),
        () => all(stockCache, qs),
      );
      tf.dispose([qkv, pos, invFreq, qf, qs]);
      fusedCache.dispose();
      stockCache.dispose();
      return r;
    },
    async () => {
      const shapes: Record<string, number[]> = { a: [32, 37], norm: [67], c: [3, 7, 53], d: [5, 130] };
      const step = async (fused: boolean) => {
        const params = Object.fromEntries(
          Object.entries(shapes).map(([n, s], i) => [n, tf.tidy(() => tf.variable(randn(s, 50 + i)))]),
        );
        const grads = Object.fromEntries(Object.entries(shapes).map(([n, s], i) => [n, randn(s, 60 + i)]));
        const opt = createAdamW(params, { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
        switchFusedKernels(fused);
        try {
          for (const lr of [1e-2, 3e-2]) opt.apply(grads, lr);
        } finally {
          switchFusedKernels(wasOn);
        }
        const out = tf.tidy(() =>
          flat([...Object.values(params), ...Object.values(opt.state().m), ...Object.values(opt.state().v)]),
        );
        opt.dispose();
        tf.dispose([...Object.values(params), ...Object.values(grads)]);
        return out;
      };
      const f = await step(true),
        s = await step(false);
      return forwardOnly(
        'AdamW, 3 parameters per program (2 steps)',
        'p, m, v of [32,37] [67] [3,7,53] [5,130]',
        () => f,
        () => s,
      );
    },
    async () => {
      const logits = randn([5, 71], 23) as tf.Tensor2D;
      const sample = (fused: boolean) => {
        switchFusedKernels(fused);
        try {
          return tf.tidy(() => {
            const greedy = sampleTokens(logits, { temperature: 0, seed: 7 });
            const hot = sampleTokens(logits, { temperature: 0.8, topK: 9, seed: 7 });
            // the drawn ids differ between the two RNGs; each path's log-prob must be log softmax(z/τ) at its own id
            const expected = pickTargets(logSoftmaxAt(logits, 0.8), hot.ids);
            return flat([tf.cast(greedy.ids, 'float32'), greedy.logProbs, tf.sub(hot.logProbs, expected)]);
          });
        } finally {
          switchFusedKernels(wasOn);
        }
      };
      const f = sample(true),
        s = tf.tidy(() => {
          const g = sampleTokensStock(logits, { temperature: 0, seed: 7 });
          return flat([tf.cast(g.ids, 'float32'), g.logProbs, tf.zeros([5])]);
        });
      return forwardOnly(
        'sampling: greedy ids and log-probs, τ = 0.8 top-k log-probs',
        'logits [5,71]',
        () => f,
        () => s,
        [logits],
      );
    },
  ];
  const results: KernelCheck[] = [];
  for (const run of checks) {
    const r = await run();
    results.push(r);
    onProgress?.(results.length, checks.length, r);
  }
  return results;
}

/** A readable line per check, e.g. for a log or an error message. */
export function describeCheck(c: KernelCheck): string {
  const g = c.gradient === null ? '' : `, gradients ${c.gradient.toExponential(1)}`;
  return `${c.pass ? 'ok  ' : 'FAIL'} ${c.kernel} (${c.shapes}): forward ${c.forward.toExponential(1)}${g}`;
}

// The self-check's per-kernel cases: each fused kernel against its stock composition in the layouts and
// settings the model calls it with — add + RMSNorm with y read by 1, 2 and 3 projections, RoPE of q and k
// with shared and per-row (left-padded) positions, attention with grouped kv heads (2:1 and 4:1), padded
// rows and the training path's mixed layouts, the decode path's cache kernels, AdamW and sampling.
// Shapes are nano and deliberately not multiples of the 64-thread workgroup. self_check_model.ts adds
// the whole nano model; self_check.ts runs them all.
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from '../config';
import { createKVCache, type KVCache } from '../kv_cache';
import { maskTensors, NEG_SCORE } from '../model';
import { ropeRows, ropeTables } from '../rope_tables';
import { createAdamW } from '../optimizer';
import { unpackF16 } from '../f16';
import { sampleTokens, sampleTokensStock } from '../sampling';
import { addRmsNormFused, addRmsNormStock } from './add_rms_norm';
import { attendFused, attendMergedFused, attendMergedStock, attendStock, repeatKv } from './attention';
import { randn } from './check_tensor';
import { withFusedKernels } from './fused';
import { sumSquaresFused, sumSquaresStock } from './grad_norm';
import { compareDifferentiable, compareForward, type Diffs, flat } from './kernel_compare';
import { writeStepKv, writeStepKvStock } from './kv_write';
import { gatherF16Rows, matMulF16, packF16Weight } from './matmul_f16';
import { gatherLogProbsFused, gatherLogProbsStock, logSoftmaxAt, pickTargets } from './log_probs';
import { rmsNormFused, rmsNormStock } from './rms_norm';
import { ropeHeadsFused, ropeHeadsStock, ropeQkFused } from './rope';
import { swigluFused, swigluStock } from './swiglu';
import { swigluPackedFused, swigluPackedStock } from './swiglu_packed';

/** One comparison: which kernel, on what shapes, and how to run it (WebGPU only). */
export interface KernelCase {
  kernel: string;
  shapes: string;
  run: () => Promise<Diffs>;
  /** Its programs reduce across a row: the self-check runs it with subgroups and without (subgroups.ts). */
  reduces?: true;
}

const EPS = 1e-5;

export const checkConfig = (H: number, Hkv: number, D: number) =>
  presetConfig(
    'nano',
    { vocab_size: 71, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 },
    { hidden_size: H * D, num_attention_heads: H, num_key_value_heads: Hkv },
  );

/** Left-padding masks [B, T]: row b > 0 starts after b + 1 padding positions. */
const paddingMask = (B: number, T: number) =>
  tf.tensor2d(Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => (b > 0 && t <= b ? 0 : 1))));

/** cos, sin for D-dim heads: [1, 1, T, D] at positions 0…T−1, or [B, 1, T, D] at left-padded rows' positions. */
function tables(B: number, T: number, D: number, perRow: boolean) {
  return tf.tidy(() => {
    const positions = perRow ? maskTensors(paddingMask(B, T), T).positions : tf.range(0, T, 1, 'int32');
    return ropeTables(tf.reshape(positions, [perRow ? B : 1, 1, T]), checkConfig(1, 1, D));
  });
}

/** Causal bias: [B, 1, T, T] with the rows left-padded, or [1, 1, T, T] shared by the batch. */
const causalBias = (B: number, T: number, padded: boolean) =>
  tf.tidy(() => maskTensors(padded ? paddingMask(B, T) : undefined, T).bias);

/** RMSNorm weights near 1, [C]. */
const normWeight = (C: number, seed: number) => tf.tidy(() => tf.add(1, tf.mul(0.1, randn([C], seed))));

const grouped = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, bias: tf.Tensor) =>
  attendStock(q, repeatKv(k, q.shape[1]! / k.shape[1]!), repeatKv(v, q.shape[1]! / k.shape[1]!), bias);

/** Runs `work` with these tables or bias, disposing them afterwards. */
async function withConstants(constants: tf.Tensor[], work: () => Promise<Diffs>): Promise<Diffs> {
  try {
    return await work();
  } finally {
    tf.dispose(constants);
  }
}

/** y read by `readers` projections: the fused kernel's n outputs against stock's one y used n times. */
const addRmsNormCase = (readers: number, who: string): KernelCase => ({
  kernel: `residual add + RMSNorm, y read by ${readers} (${who})`,
  shapes: 'x, r [2,7,67]',
  reduces: true,
  run: () =>
    compareDifferentiable(
      (x, r, w) => flat(addRmsNormFused(x, r, w, EPS, readers)),
      (x, r, w) => {
        const [s, y] = addRmsNormStock(x, r, w, EPS);
        return flat([s, ...new Array<tf.Tensor>(readers).fill(y)]);
      },
      [randn([2, 7, 67], 3 + readers), randn([2, 7, 67], 13 + readers), normWeight(67, 23 + readers)],
    ),
});

const ropeQkCase = (perRow: boolean): KernelCase => ({
  kernel: `RoPE of q and k together, ${perRow ? 'positions per row (left padding)' : 'positions shared'}`,
  shapes: `q [2,9,4·10], k [2,9,2·10], tables [${perRow ? 2 : 1},1,9,10]`,
  run: () => {
    const { cos, sin } = tables(2, 9, 10, perRow);
    return withConstants([cos, sin], () =>
      compareDifferentiable(
        (q, k) => flat(ropeQkFused(q, k, 4, 2, cos, sin)),
        (q, k) => flat([ropeHeadsStock(q, 4, cos, sin), ropeHeadsStock(k, 2, cos, sin)]),
        [randn([2, 9, 40], perRow ? 7 : 8), randn([2, 9, 20], perRow ? 9 : 10)],
      ),
    );
  },
});

/** The differentiable kernels of a training step, forward and backward. */
const TRAINING_CASES: KernelCase[] = [
  {
    kernel: 'RMSNorm (first layer)',
    shapes: 'x [2,7,67]',
    reduces: true,
    run: () =>
      compareDifferentiable(
        (x, w) => rmsNormFused(x, w, EPS),
        (x, w) => rmsNormStock(x, w, EPS),
        [randn([2, 7, 67], 1), normWeight(67, 2)],
      ),
  },
  addRmsNormCase(1, 'the final norm'),
  addRmsNormCase(2, 'gate, up'),
  addRmsNormCase(3, 'q, k, v'),
  {
    kernel: 'RoPE with the head split, positions per row',
    shapes: 'x [2,9,3·10], tables [2,1,9,10]',
    run: () => {
      const { cos, sin } = tables(2, 9, 10, true);
      return withConstants([cos, sin], () =>
        compareDifferentiable(
          (x) => ropeHeadsFused(x, 3, cos, sin),
          (x) => ropeHeadsStock(x, 3, cos, sin),
          [randn([2, 9, 30], 6)],
        ),
      );
    },
  },
  ropeQkCase(false),
  ropeQkCase(true),
  {
    kernel: 'attention as training calls it: q, k rotated heads, v as projected, GQA 2:1, padded rows',
    shapes: 'q [2,4,11,12], k [2,2,11,12], v [2,11,2·12]',
    reduces: true,
    run: () => {
      const bias = causalBias(2, 11, true);
      return withConstants([bias], () =>
        compareDifferentiable(
          (q, k, v) => attendMergedFused(q, k, v, bias, 4, 2),
          (q, k, v) => attendMergedStock(q, k, v, bias, 4, 2),
          [randn([2, 4, 11, 12], 9), randn([2, 2, 11, 12], 10), randn([2, 11, 24], 11)],
        ),
      );
    },
  },
  {
    kernel: 'attention on projected q, k, v, GQA 4:1, causal bias shared by the batch',
    shapes: 'q [2,11,8·6], k, v [2,11,2·6]',
    reduces: true,
    run: () => {
      const bias = causalBias(2, 11, false);
      return withConstants([bias], () =>
        compareDifferentiable(
          (q, k, v) => attendMergedFused(q, k, v, bias, 8, 2),
          (q, k, v) => attendMergedStock(q, k, v, bias, 8, 2),
          [randn([2, 11, 48], 12), randn([2, 11, 12], 13), randn([2, 11, 12], 14)],
        ),
      );
    },
  },
  {
    kernel: 'SwiGLU',
    shapes: 'gate, up [2,7,45]',
    run: () => compareDifferentiable(swigluFused, swigluStock, [randn([2, 7, 45], 18), randn([2, 7, 45], 19)]),
  },
  {
    kernel: 'target log-probs from logits (τ = 0.7)',
    shapes: 'logits [2,7,71]',
    reduces: true,
    run: () => {
      const targets = tf.tensor2d(
        Array.from({ length: 2 }, (_, b) => Array.from({ length: 7 }, (_, t) => (13 * b + 5 * t) % 71)),
        [2, 7],
        'int32',
      );
      return withConstants([targets], () =>
        compareDifferentiable(
          (z) => gatherLogProbsFused(z, targets, 0.7),
          (z) => gatherLogProbsStock(z, targets, 0.7),
          [randn([2, 7, 71], 20)],
        ),
      );
    },
  },
  {
    kernel: 'gradient norm terms Σg² (7 gradients)',
    shapes: 'sizes 2…1037',
    run: () => {
      const gs = [[37], [3, 29], [1037], [5, 7, 11], [2], [64, 3], [129]].map((s, i) => randn(s, 40 + i));
      return compareForward(
        () => sumSquaresFused(gs),
        () => sumSquaresStock(gs),
        gs,
      );
    },
  },
  {
    kernel: 'AdamW, 3 parameters per program (2 steps)',
    shapes: 'p, m, v of [32,37] [67] [3,7,53] [5,130]',
    run: adamw,
  },
];

/** The forward-only kernels of generation: decode attention, packed SwiGLU, the KV-cache write, sampling. */
const DECODE_CASES: KernelCase[] = [
  {
    kernel: 'decode attention over the cache',
    shapes: 'q [3,4,1,16], cache [3,2,19,16]',
    reduces: true,
    run: () => {
      const q = randn([3, 4, 1, 16], 21),
        k = randn([3, 2, 19, 16], 22),
        v = randn([3, 2, 19, 16], 23);
      const bias = tf.tensor(
        Array.from({ length: 3 * 19 }, (_, i) => ((i % 19) % 3 === 1 ? NEG_SCORE : 0)),
        [3, 1, 1, 19],
      );
      return compareForward(
        () => attendFused(q, k, v, bias),
        () => grouped(q, k, v, bias),
        [q, k, v, bias],
      );
    },
  },
  {
    kernel: 'SwiGLU on packed gate|up',
    shapes: 'gu [3,2·45]',
    run: () => {
      const gu = randn([3, 90], 24) as tf.Tensor2D;
      return compareForward(
        () => swigluPackedFused(gu),
        () => swigluPackedStock(gu),
        [gu],
      );
    },
  },
  { kernel: 'RoPE + in-place KV-cache write', shapes: 'qkv [3,(4+2·2)·6], cache [3,2,7,6]', run: kvWrite },
  {
    kernel: 'sampling: greedy ids and log-probs, τ = 0.8 top-k log-probs',
    shapes: 'logits [5,71]',
    reduces: true,
    run: sampling,
  },
  {
    kernel: 'half-precision weights: x · Wᵀ + b for 11 rows (8 + 3), and embedding rows',
    shapes: 'x [11,130], W [67,130/2], table [70,134/2]',
    run: halfWeights,
  },
];

export const KERNEL_CASES: KernelCase[] = [...TRAINING_CASES, ...DECODE_CASES];

/** A cache with random keys and values in layer 1 and the first b + 1 slots of row b closed. */
function filledCache(H: number, Hkv: number, D: number, B: number, Tmax: number): KVCache {
  const cache = createKVCache(checkConfig(H, Hkv, D), B, Tmax);
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

async function kvWrite(): Promise<Diffs> {
  const [H, Hkv, D, B, Tmax, slot] = [4, 2, 6, 3, 7, 5];
  const qkv = randn([B, (H + 2 * Hkv) * D], 25) as tf.Tensor2D;
  const rows = ropeRows([5, 17, 40], checkConfig(H, Hkv, D));
  const cos = tf.tensor2d(rows.cos, [B, D]),
    sin = tf.tensor2d(rows.sin, [B, D]);
  const fusedCache = filledCache(H, Hkv, D, B, Tmax),
    stockCache = filledCache(H, Hkv, D, B, Tmax);
  try {
    const qf = writeStepKv(fusedCache, 1, slot, qkv, cos, sin, H),
      qs = writeStepKvStock(stockCache, 1, slot, qkv, cos, sin, H);
    const all = (c: KVCache, q: tf.Tensor) => flat([q, c.k[1], c.v[1], c.bias]);
    return await compareForward(
      () => all(fusedCache, qf),
      () => all(stockCache, qs),
      [qf, qs],
    );
  } finally {
    tf.dispose([qkv, cos, sin]);
    fusedCache.dispose();
    stockCache.dispose();
  }
}

async function adamw(): Promise<Diffs> {
  const shapes: Record<string, number[]> = { a: [32, 37], norm: [67], c: [3, 7, 53], d: [5, 130] };
  const step = (fused: boolean) => {
    const params = Object.fromEntries(
      Object.entries(shapes).map(([n, s], i) => [n, tf.tidy(() => tf.variable(randn(s, 50 + i)))]),
    );
    const grads = Object.fromEntries(Object.entries(shapes).map(([n, s], i) => [n, randn(s, 60 + i)]));
    const opt = createAdamW(params, { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
    try {
      withFusedKernels(fused, () => {
        for (const lr of [1e-2, 3e-2]) opt.apply(grads, lr);
      });
      return tf.tidy(() =>
        flat([...Object.values(params), ...Object.values(opt.state().m), ...Object.values(opt.state().v)]),
      );
    } finally {
      opt.dispose();
      tf.dispose([...Object.values(params), ...Object.values(grads)]);
    }
  };
  const f = step(true),
    s = step(false);
  return compareForward(
    () => f,
    () => s,
  );
}

async function sampling(): Promise<Diffs> {
  const logits = randn([5, 71], 26) as tf.Tensor2D;
  const f = withFusedKernels(true, () =>
    tf.tidy(() => {
      const greedy = sampleTokens(logits, { temperature: 0, seed: 7 });
      const hot = sampleTokens(logits, { temperature: 0.8, topK: 9, seed: 7 });
      // the drawn ids differ between the two RNGs; each path's log-prob must be log softmax(z/τ) at its own id
      const expected = pickTargets(logSoftmaxAt(logits, 0.8), hot.ids);
      return flat([tf.cast(greedy.ids, 'float32'), greedy.logProbs, tf.sub(hot.logProbs, expected)]);
    }),
  );
  const s = tf.tidy(() => {
    const g = sampleTokensStock(logits, { temperature: 0, seed: 7 });
    return flat([tf.cast(g.ids, 'float32'), g.logProbs, tf.zeros([5])]);
  });
  return compareForward(
    () => f,
    () => s,
    [logits],
  );
}

/** The f16 kernels against f32 ops on the halves they hold (dequantized on the host). */
async function halfWeights(): Promise<Diffs> {
  const x = randn([11, 130], 27) as tf.Tensor2D,
    b = randn([67], 28) as tf.Tensor1D,
    ids = tf.tensor1d([0, 69, 5, 33], 'int32');
  const pack = async (shape: number[], seed: number) => {
    const f = randn(shape, seed) as tf.Tensor2D;
    const packed = await packF16Weight(f);
    f.dispose();
    return packed;
  };
  const w = await pack([67, 130], 29),
    table = await pack([70, 134], 30);
  const held = async (packed: tf.Tensor2D) =>
    tf.tensor2d(unpackF16((await packed.data()) as Int32Array), [packed.shape[0], packed.shape[1] * 2]);
  const [w32, table32] = await Promise.all([held(w), held(table)]);
  return compareForward(
    () => flat([matMulF16(x, w, b), gatherF16Rows(table, ids)]),
    () => flat([tf.add(tf.matMul(x, w32, false, true), b), tf.gather(table32, ids)]),
    [x, b, ids, w, table, w32, table32],
  );
}

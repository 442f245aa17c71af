// AdamW with decoupled weight decay (PyTorch's torch.optim.AdamW semantics) and global grad-norm
// clipping (torch.nn.utils.clip_grad_norm_). Moments m, v are tf.Variables; the step count lives on
// the CPU, so apply() reads nothing back. With fused kernels on (engine/kernels/fused.ts) and the
// webgpu backend, every three parameters' update is one WebGPU program writing p, m and v in place
// (engine/kernels/adamw.ts); the stock ops below are its reference. That program reads the moments of
// all parameters packed into one buffer, so the moments have two layouts: a variable per parameter (the
// stock ops, state() and loadState()) and packed (the fused update). Each switches to its own layout on
// first use, one copy program per switch; a training run stays in one. exportState() reads either as it
// is (a resume snapshot costs one readback, no switch). Leaves out amsgrad, maximize and
// per-group hyper-parameters beyond the decay predicate.
import * as tf from '@tensorflow/tfjs';
import { adamwUpdateFused } from './kernels/adamw';
import { fusedKernelsOn, onWebGPU } from './kernels/fused';
import { sumSquaresFused, sumSquaresStock } from './kernels/grad_norm';

export interface AdamWConfig {
  lr: number; // used when apply() is given no lr
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number; // λ, decoupled: p ← p·(1 − lr·λ)
  /** Which parameters decay; default `decayMatrices` (1-D norm weights do not). */
  decayFilter?: (name: string, param: tf.Variable) => boolean;
}

/** AdamW's moment rates and ε for every trainer (distillation, GRPO, the smoke train, precompile, bench):
 * β2 = 0.99, not PyTorch's 0.999, as nanoGPT's small runs use: the second moment forgets in ~100 steps, which
 * suits runs of a few hundred steps. */
export const ADAMW_MOMENTS = { beta1: 0.9, beta2: 0.99, eps: 1e-8 } as const;

/** Matrices (embeddings, projections) decay; vectors (RMSNorm weights, biases) do not, as in nanoGPT. */
export function decayMatrices(_name: string, param: tf.Variable): boolean {
  return param.rank >= 2;
}

export interface AdamWState {
  step: number; // t, the number of updates applied
  m: Record<string, tf.Variable>; // first moments, shaped like the parameters
  v: Record<string, tf.Variable>; // second moments
}

/** AdamW's state as plain data, e.g. in a resume snapshot: the step count and each parameter's moments. */
export interface AdamWSnapshot {
  step: number;
  m: Record<string, Float32Array>; // by parameter name, flattened
  v: Record<string, Float32Array>;
}

export interface AdamW {
  /**
   * One update from `grads` (by parameter name); a parameter without a gradient is left unchanged.
   * `gradScale` multiplies every gradient first: pass clipCoefficient's `coef` with the raw gradients,
   * and the fused update clips inside its one program (no clipped copy of the gradients).
   */
  apply(grads: Record<string, tf.Tensor | undefined>, lr?: number, gradScale?: tf.Scalar): void;
  /** The live state (not copies), e.g. to save it; moments per parameter, valid until the next fused apply. */
  state(): AdamWState;
  /** Restores a saved state (moments are copied into the existing variables). */
  loadState(s: { step: number; m: Record<string, tf.Tensor>; v: Record<string, tf.Tensor> }): void;
  /** A copy of the state read back in one readback, in either layout (the packed one stays packed). */
  exportState(): Promise<AdamWSnapshot>;
  /** Restores an exported state; refuses one whose parameter names or sizes differ, naming them. */
  importState(s: AdamWSnapshot): void;
  dispose(): void;
}

type Params<P> = { [K in keyof P]: tf.Variable };

export function createAdamW<P extends Params<P>>(params: P, cfg: AdamWConfig): AdamW {
  const entries = Object.entries(params) as [string, tf.Variable][];
  const decays = cfg.decayFilter ?? decayMatrices;
  // not trainable, so tf.variableGrads() without a list skips them; tidy frees zerosLike's temporaries
  const zeros = () =>
    tf.tidy(() => Object.fromEntries(entries.map(([n, p]) => [n, tf.variable(tf.zerosLike(p), false)])));
  let m: Record<string, tf.Variable> = zeros();
  let v: Record<string, tf.Variable> = zeros();
  // the packed layout (the fused update): [2N], m of every parameter in `entries` order, then every v
  let packed: tf.Variable | null = null;
  const offsets = new Map<string, number>();
  let total = 0;
  for (const [n, p] of entries) {
    offsets.set(n, total);
    total += p.size;
  }
  const decayed = new Set(entries.filter(([n, p]) => cfg.weightDecay !== 0 && decays(n, p)).map(([n]) => n));
  let step = 0;

  function pack(): tf.Variable {
    if (!packed) {
      const all = [...entries.map(([n]) => m[n]), ...entries.map(([n]) => v[n])];
      packed = tf.tidy(() => tf.variable(tf.concat(all.map((x) => tf.reshape(x, [-1]))), false));
      tf.dispose(all);
    }
    return packed;
  }

  function unpack(): void {
    if (!packed) return;
    const whole = packed;
    const part = (start: number, p: tf.Variable) =>
      tf.variable(tf.reshape(tf.slice(whole, start, p.size), p.shape), false);
    tf.tidy(() => {
      m = Object.fromEntries(entries.map(([n, p]) => [n, part(offsets.get(n)!, p)]));
      v = Object.fromEntries(entries.map(([n, p]) => [n, part(total + offsets.get(n)!, p)]));
    });
    whole.dispose();
    packed = null;
  }

  function check(grads: Record<string, tf.Tensor | undefined>): void {
    for (const [name, g] of Object.entries(grads)) {
      const p = (params as Record<string, tf.Variable | undefined>)[name];
      if (!p) throw new Error(`AdamW: gradient "${name}" matches no parameter`);
      if (g && !tf.util.arraysEqual(g.shape, p.shape))
        throw new Error(`AdamW: gradient "${name}" has shape [${g.shape}], parameter has [${p.shape}]`);
    }
  }

  function apply(grads: Record<string, tf.Tensor | undefined>, lr = cfg.lr, gradScale?: tf.Scalar): void {
    check(grads);
    step++;
    const { beta1: b1, beta2: b2, eps } = cfg;
    const bc1 = 1 - b1 ** step,
      bc2 = 1 - b2 ** step; // bias corrections 1 − β^t
    if (fusedKernelsOn() && onWebGPU()) {
      const moments = pack();
      tf.tidy(() => {
        const scale = gradScale ?? tf.scalar(1);
        const keep = 1 - lr * cfg.weightDecay;
        const slots = entries
          .filter(([name]) => grads[name])
          .map(([name, p]) => ({
            p,
            grad: grads[name]!,
            offset: offsets.get(name)!,
            keep: decayed.has(name) ? keep : 1,
          }));
        adamwUpdateFused(slots, moments, scale, {
          beta1: b1,
          beta2: b2,
          eps,
          stepSize: lr / bc1,
          sqrtBc2: Math.sqrt(bc2),
        });
      });
      return;
    }
    unpack();
    tf.tidy(() => {
      const s = (x: number) => tf.scalar(x);
      const [B1, B1c, B2, B2c, stepSize, sqrtBc2, Eps, keep] = [
        b1,
        1 - b1,
        b2,
        1 - b2,
        lr / bc1,
        Math.sqrt(bc2),
        eps,
        1 - lr * cfg.weightDecay,
      ].map(s);
      for (const [name, p] of entries) {
        const g = gradScale && grads[name] ? tf.mul(grads[name]!, gradScale) : grads[name];
        if (!g) continue;
        const pd = decayed.has(name) ? tf.mul(p, keep) : p; // p ← p·(1 − lr·λ)
        const mt = tf.add(tf.mul(m[name], B1), tf.mul(g, B1c)); // m ← β1·m + (1 − β1)·g
        const vt = tf.add(tf.mul(v[name], B2), tf.mul(tf.square(g), B2c)); // v ← β2·v + (1 − β2)·g²
        const denom = tf.add(tf.div(tf.sqrt(vt), sqrtBc2), Eps); // √v / √(1 − β2^t) + ε
        p.assign(tf.sub(pd, tf.mul(stepSize, tf.div(mt, denom)))); // p ← p − lr/(1 − β1^t) · m/denom
        m[name].assign(mt);
        v[name].assign(vt);
      }
    });
  }

  async function exportState(): Promise<AdamWSnapshot> {
    const flat = packed
      ? null
      : tf.tidy(() =>
          tf.concat([...entries.map(([n]) => m[n]), ...entries.map(([n]) => v[n])].map((x) => tf.reshape(x, [-1]))),
        );
    const data = await (packed ?? flat!).data<'float32'>(); // the one readback
    flat?.dispose();
    const part = (start: number, p: tf.Variable) => data.slice(start, start + p.size); // slice copies
    return {
      step,
      m: Object.fromEntries(entries.map(([n, p]) => [n, part(offsets.get(n)!, p)])),
      v: Object.fromEntries(entries.map(([n, p]) => [n, part(total + offsets.get(n)!, p)])),
    };
  }

  function importState(s: AdamWSnapshot): void {
    const problems = entries.flatMap(([n, p]) =>
      (['m', 'v'] as const).flatMap((k) =>
        !s[k][n]
          ? [`no ${k} for "${n}"`]
          : s[k][n].length !== p.size
            ? [`${k} of "${n}" has ${s[k][n].length} values, the parameter ${p.size}`]
            : [],
      ),
    );
    const unknown = Object.keys(s.m).filter((n) => !offsets.has(n));
    if (unknown.length) problems.push(`moments for unknown parameters ${unknown.map((n) => `"${n}"`).join(', ')}`);
    if (problems.length) throw new Error(`AdamW state does not match the parameters: ${problems.join('; ')}`);
    unpack();
    tf.tidy(() => {
      for (const [n, p] of entries) {
        m[n].assign(tf.tensor(s.m[n], p.shape, 'float32'));
        v[n].assign(tf.tensor(s.v[n], p.shape, 'float32'));
      }
    });
    step = s.step;
  }

  return {
    apply,
    exportState,
    importState,
    state: () => {
      unpack();
      return { step, m, v };
    },
    loadState(s) {
      unpack();
      for (const [name] of entries) {
        if (!s.m[name] || !s.v[name]) throw new Error(`AdamW.loadState: no moments for "${name}"`);
        m[name].assign(s.m[name]);
        v[name].assign(s.v[name]);
      }
      step = s.step;
    },
    dispose() {
      unpack();
      for (const x of [...Object.values(m), ...Object.values(v)]) x.dispose();
    },
  };
}

/**
 * Scales all gradients by min(1, maxNorm / (‖g‖ + 1e-6)), ‖g‖ the L2 norm over every gradient
 * (clip_grad_norm_'s rule). The norm stays on the device; maxNorm ≤ 0 or ∞ only measures it.
 */
export function clipByGlobalNorm<G extends Record<string, tf.Tensor>>(
  grads: G,
  maxNorm: number,
): { grads: G; norm: tf.Scalar } {
  return tf.tidy(() => {
    const { coef, norm } = clipCoefficient(grads, maxNorm);
    if (!coef) return { grads: { ...grads }, norm };
    const clipped = Object.fromEntries(Object.keys(grads).map((n) => [n, tf.mul(grads[n], coef)])) as G;
    return { grads: clipped, norm };
  });
}

/**
 * The global L2 norm and clip_grad_norm_'s coefficient min(1, maxNorm / (‖g‖ + 1e-6)), both on the
 * device, without scaling anything: give `coef` to AdamW.apply as its gradScale. `coef` is null when
 * maxNorm ≤ 0 or ∞ (measure only).
 */
export function clipCoefficient(
  grads: Record<string, tf.Tensor>,
  maxNorm: number,
): { coef: tf.Scalar | null; norm: tf.Scalar } {
  const names = Object.keys(grads);
  if (names.length === 0) throw new Error('clipCoefficient: no gradients');
  // Σ g² per gradient, then stack+sum, not addN: WebGPU's AddN binds every input at once and fails past 8
  // storage buffers. With fused kernels on WebGPU, ⌈P / 7⌉ programs write the [P] sums (kernels/grad_norm.ts).
  const gs = names.map((n) => grads[n]);
  const norm = tf.tidy(() =>
    tf.sqrt(tf.sum(fusedKernelsOn() && onWebGPU() ? sumSquaresFused(gs) : sumSquaresStock(gs))),
  ) as tf.Scalar;
  if (!(maxNorm > 0) || maxNorm === Infinity) return { coef: null, norm };
  return { coef: tf.tidy(() => tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1)) as tf.Scalar, norm };
}

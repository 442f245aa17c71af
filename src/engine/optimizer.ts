// AdamW with decoupled weight decay (PyTorch's torch.optim.AdamW semantics) and global grad-norm
// clipping (torch.nn.utils.clip_grad_norm_). Moments m, v are tf.Variables; the step count lives on
// the CPU, so apply() reads nothing back. Leaves out amsgrad, maximize, fused GPU kernels and
// per-group hyper-parameters beyond the decay predicate.
import * as tf from '@tensorflow/tfjs';

export interface AdamWConfig {
  lr: number; // used when apply() is given no lr
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number; // λ, decoupled: p ← p·(1 − lr·λ)
  /** Which parameters decay; default `decayMatrices` (1-D norm weights do not). */
  decayFilter?: (name: string, param: tf.Variable) => boolean;
}

/** Matrices (embeddings, projections) decay; vectors (RMSNorm weights, biases) do not, as in nanoGPT. */
export function decayMatrices(_name: string, param: tf.Variable): boolean {
  return param.rank >= 2;
}

export interface AdamWState {
  step: number; // t, the number of updates applied
  m: Record<string, tf.Variable>; // first moments, shaped like the parameters
  v: Record<string, tf.Variable>; // second moments
}

export interface AdamW {
  /** One update from `grads` (by parameter name); a parameter without a gradient is left unchanged. */
  apply(grads: Record<string, tf.Tensor | undefined>, lr?: number): void;
  /** The live state (not copies), e.g. to save it. */
  state(): AdamWState;
  /** Restores a saved state (moments are copied into the existing variables). */
  loadState(s: { step: number; m: Record<string, tf.Tensor>; v: Record<string, tf.Tensor> }): void;
  dispose(): void;
}

type Params<P> = { [K in keyof P]: tf.Variable };

export function createAdamW<P extends Params<P>>(params: P, cfg: AdamWConfig): AdamW {
  const entries = Object.entries(params) as [string, tf.Variable][];
  const decays = cfg.decayFilter ?? decayMatrices;
  // not trainable, so tf.variableGrads() without a list skips them; tidy frees zerosLike's temporaries
  const zeros = () => tf.tidy(() => Object.fromEntries(entries.map(([n, p]) => [n, tf.variable(tf.zerosLike(p), false)])));
  const m: Record<string, tf.Variable> = zeros();
  const v: Record<string, tf.Variable> = zeros();
  const decayed = new Set(entries.filter(([n, p]) => cfg.weightDecay !== 0 && decays(n, p)).map(([n]) => n));
  let step = 0;

  function check(grads: Record<string, tf.Tensor | undefined>): void {
    for (const [name, g] of Object.entries(grads)) {
      const p = (params as Record<string, tf.Variable | undefined>)[name];
      if (!p) throw new Error(`AdamW: gradient "${name}" matches no parameter`);
      if (g && !tf.util.arraysEqual(g.shape, p.shape)) throw new Error(`AdamW: gradient "${name}" has shape [${g.shape}], parameter has [${p.shape}]`);
    }
  }

  function apply(grads: Record<string, tf.Tensor | undefined>, lr = cfg.lr): void {
    check(grads);
    step++;
    const { beta1: b1, beta2: b2, eps } = cfg;
    const bc1 = 1 - b1 ** step, bc2 = 1 - b2 ** step; // bias corrections 1 − β^t
    tf.tidy(() => {
      const s = (x: number) => tf.scalar(x);
      const [B1, B1c, B2, B2c, stepSize, sqrtBc2, Eps, keep] = [b1, 1 - b1, b2, 1 - b2, lr / bc1, Math.sqrt(bc2), eps, 1 - lr * cfg.weightDecay].map(s);
      for (const [name, p] of entries) {
        const g = grads[name];
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

  return {
    apply,
    state: () => ({ step, m, v }),
    loadState(s) {
      for (const [name] of entries) {
        if (!s.m[name] || !s.v[name]) throw new Error(`AdamW.loadState: no moments for "${name}"`);
        m[name].assign(s.m[name]);
        v[name].assign(s.v[name]);
      }
      step = s.step;
    },
    dispose() {
      for (const x of [...Object.values(m), ...Object.values(v)]) x.dispose();
    },
  };
}

/**
 * Scales all gradients by min(1, maxNorm / (‖g‖ + 1e-6)), ‖g‖ the L2 norm over every gradient
 * (clip_grad_norm_'s rule). The norm stays on the device; maxNorm ≤ 0 or ∞ only measures it.
 */
export function clipByGlobalNorm<G extends Record<string, tf.Tensor>>(grads: G, maxNorm: number): { grads: G; norm: tf.Scalar } {
  const names = Object.keys(grads);
  if (names.length === 0) throw new Error('clipByGlobalNorm: no gradients');
  return tf.tidy(() => {
    // stack+sum, not addN: WebGPU's AddN binds every input at once and fails past 8 storage buffers
    const norm = tf.sqrt(tf.sum(tf.stack(names.map((n) => tf.sum(tf.square(grads[n])))))) as tf.Scalar;
    if (!(maxNorm > 0) || maxNorm === Infinity) return { grads: { ...grads }, norm };
    const coef = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
    const clipped = Object.fromEntries(names.map((n) => [n, tf.mul(grads[n], coef)])) as G;
    return { grads: clipped, norm };
  });
}

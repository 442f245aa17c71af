// LoRA (Hu et al. 2021): a frozen projection W [out, in] plus a trainable low-rank update,
// y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ with A [r, in], B [out, r], s = α / r (or α / √r, rsLoRA, Kalajdzievski 2023).
// The adapters live in the model's ModelParams under PEFT's module names
// (`model.layers.{l}.self_attn.q_proj.lora_A.weight`, `….lora_B.weight`), so the one forward in model.ts
// serves the base and the adapted model: project() adds the update wherever a projection has adapters.
// Initialised as PEFT does: A kaiming-uniform (bound 1/√in), B zero, so an adapted model starts as its base.
// Two scoped switches: withAdaptersOff (GRPO's reference policy is the base, no copy of its weights) and
// withLoraDropout (dropout on the adapters' input while training, seeded). Leaves out DoRA, biases on the
// adapters, per-layer ranks and targets other than the seven projections.
import * as tf from '@tensorflow/tfjs';
import type { LlamaConfig } from './config';
import { valueShape } from './f16_weights';
import { packF16Words, unpackF16Words } from './kernels/pack_f16';
import { isPacked } from './packed_weights';
import { createRng } from './rng';

/** The projections an adapter can target, by the module names PEFT's target_modules uses. */
export const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

export interface LoraSettings {
  rank: number; // r
  alpha: number; // α
  dropout: number; // on the adapters' input, training only
  targets: readonly LoraTarget[];
  rslora: boolean; // s = α / √r instead of α / r
}

/** The factor s on the update B·A: α / r, or α / √r with rsLoRA (keeps the update's scale as r grows). */
export function loraScale(s: Pick<LoraSettings, 'rank' | 'alpha' | 'rslora'>): number {
  return s.rslora ? s.alpha / Math.sqrt(s.rank) : s.alpha / s.rank;
}

const SUBMODULE: Record<LoraTarget, string> = {
  q_proj: 'self_attn',
  k_proj: 'self_attn',
  v_proj: 'self_attn',
  o_proj: 'self_attn',
  gate_proj: 'mlp',
  up_proj: 'mlp',
  down_proj: 'mlp',
};

/** A targeted projection's module name, e.g. model.layers.0.self_attn.q_proj. */
export const loraModule = (l: number, t: LoraTarget): string => `model.layers.${l}.${SUBMODULE[t]}.${t}`;
export const loraAName = (module: string): string => `${module}.lora_A.weight`;
export const loraBName = (module: string): string => `${module}.lora_B.weight`;

/** Whether a parameter name is an adapter's (lora_A or lora_B). */
export const isLoraName = (name: string): boolean => /\.lora_[AB]\.weight$/.test(name);

/** The adapters' shapes for a model: A [r, in], B [out, r] per targeted projection of every layer. */
export function loraShapes(cfg: LlamaConfig, s: Pick<LoraSettings, 'rank' | 'targets'>, base: ProjectionShapes) {
  const shapes: Record<string, number[]> = {};
  for (let l = 0; l < cfg.num_hidden_layers; l++)
    for (const t of s.targets) {
      const m = loraModule(l, t);
      const w = base[`${m}.weight`];
      if (!w) throw new Error(`LoRA: the model has no projection ${m}`);
      const [out, inp] = w;
      shapes[loraAName(m)] = [s.rank, inp];
      shapes[loraBName(m)] = [out, s.rank];
    }
  return shapes;
}
type ProjectionShapes = Record<string, readonly number[] | undefined>;

/** What project() needs of an adapter besides its tensors: found through its A. */
interface AdapterSpec {
  scale: number;
  dropout: number;
}
const specs = new WeakMap<tf.Tensor, AdapterSpec>();

/** Checks settings, naming the field that is wrong. */
export function checkLoraSettings(s: LoraSettings, where = 'LoRA'): void {
  if (!Number.isInteger(s.rank) || s.rank < 1)
    throw new Error(`${where}: rank must be a whole number ≥ 1, got ${s.rank}`);
  if (!Number.isFinite(s.alpha) || s.alpha <= 0) throw new Error(`${where}: alpha must be > 0, got ${s.alpha}`);
  if (!(s.dropout >= 0 && s.dropout < 1)) throw new Error(`${where}: dropout must be in [0, 1), got ${s.dropout}`);
  if (!s.targets.length) throw new Error(`${where}: no target modules`);
  for (const t of s.targets)
    if (!LORA_TARGETS.includes(t))
      throw new Error(`${where}: target module "${t}" is not one of ${LORA_TARGETS.join(', ')}`);
}

/**
 * Adds adapters to a model's params (in place) and freezes every base weight (trainable = false: no gradients,
 * and no optimizer state when the optimizer is given trainableParams). `weights` (by adapter name) sets them,
 * e.g. from a PEFT file; otherwise A is kaiming-uniform from `seed` and B zero. Returns the adapters.
 */
export function addLora(
  params: Record<string, tf.Variable>,
  cfg: LlamaConfig,
  s: LoraSettings,
  opts: { seed?: number; weights?: Record<string, Float32Array> } = {},
): Record<string, tf.Variable> {
  checkLoraSettings(s);
  if (Object.keys(params).some(isLoraName)) throw new Error('LoRA: the model already has adapters');
  if (isPacked(params))
    throw new Error(
      'LoRA: the model was loaded to infer only (q|k|v and gate|up packed); load it unpacked to adapt it',
    );
  const shapes = loraShapes(cfg, s, Object.fromEntries(Object.entries(params).map(([n, v]) => [n, valueShape(v)])));
  const rng = createRng(opts.seed ?? 0);
  const spec: AdapterSpec = { scale: loraScale(s), dropout: s.dropout };
  const added: Record<string, tf.Variable> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const n = shape[0] * shape[1];
    let data = opts.weights?.[name];
    if (opts.weights && !data) throw new Error(`LoRA: no weights given for ${name}`);
    if (data && data.length !== n) throw new Error(`LoRA: ${name} has ${data.length} values, expected [${shape}]`);
    data ??= name.endsWith('lora_A.weight') ? kaimingUniform(shape as [number, number], rng) : new Float32Array(n);
    added[name] = tf.tidy(() => tf.variable(tf.tensor(data, shape), true));
    if (name.endsWith('lora_A.weight')) specs.set(added[name], spec);
  }
  for (const v of Object.values(params)) v.trainable = false;
  Object.assign(params, added);
  return added;
}

/** The adapters of a model's params, by name. */
export function loraParams(params: Record<string, tf.Variable>): Record<string, tf.Variable> {
  return Object.fromEntries(Object.entries(params).filter(([n]) => isLoraName(n)));
}

/** The parameters an optimizer updates: the adapters when there are any, else all (full fine-tuning). */
export function trainableParams(params: Record<string, tf.Variable>): Record<string, tf.Variable> {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v.trainable));
}

/** Removes and disposes the adapters and unfreezes the base. */
export function removeLora(params: Record<string, tf.Variable>): void {
  for (const [name, v] of Object.entries(loraParams(params))) {
    v.dispose();
    delete params[name];
  }
  for (const v of Object.values(params)) v.trainable = true;
}

let adaptersOff = false;
let dropoutState: { seed: number; calls: number } | null = null;

function scoped<T>(set: () => () => void, fn: () => T, what: string): T {
  const restore = set();
  try {
    const out = fn();
    if (out instanceof Promise) throw new Error(`${what}: the function must be synchronous`);
    return out;
  } finally {
    restore();
  }
}

/** Runs fn with every adapter switched off: the model is its base (GRPO's π_ref). Synchronous fn only. */
export function withAdaptersOff<T>(fn: () => T): T {
  return scoped(
    () => {
      const was = adaptersOff;
      adaptersOff = true;
      return () => {
        adaptersOff = was;
      };
    },
    fn,
    'withAdaptersOff',
  );
}

/**
 * Runs fn (a training forward) with dropout on the adapters' input; the masks follow from `seed` and the order
 * of the projections, so a step recomputed with the same seed draws the same masks. Synchronous fn only.
 */
export function withLoraDropout<T>(seed: number, fn: () => T): T {
  return scoped(
    () => {
      const was = dropoutState;
      dropoutState = { seed, calls: 0 };
      return () => {
        dropoutState = was;
      };
    },
    fn,
    'withLoraDropout',
  );
}

/** The scoped switches as they stand (adapters off, dropout seed and draws so far), to re-enter later. */
export interface LoraSwitches {
  adaptersOff: boolean;
  dropout: { seed: number; calls: number } | null;
}

/** A copy of the switches now: a block recomputed in the backward pass re-enters them (same masks). */
export const loraSwitches = (): LoraSwitches => ({
  adaptersOff,
  dropout: dropoutState && { ...dropoutState },
});

/** Runs fn under switches taken earlier by loraSwitches; the current ones come back after. Synchronous fn only. */
export function withLoraSwitches<T>(s: LoraSwitches, fn: () => T): T {
  return scoped(
    () => {
      const was = { adaptersOff, dropoutState };
      adaptersOff = s.adaptersOff;
      dropoutState = s.dropout && { ...s.dropout };
      return () => {
        ({ adaptersOff, dropoutState } = was);
      };
    },
    fn,
    'withLoraSwitches',
  );
}

/** The adapter on projection `module` as the forward uses it now: null when it has none or adapters are off. */
export function activeAdapter(
  p: Record<string, tf.Tensor>,
  module: string,
): { A: tf.Tensor; B: tf.Tensor; scale: number } | null {
  if (adaptersOff) return null;
  const aName = loraAName(module);
  if (!Object.hasOwn(p, aName)) return null;
  const A = p[aName];
  const spec = specs.get(A);
  if (!spec) throw new Error(`LoRA: ${aName} was not added through addLora (its scale is unknown)`);
  return { A, B: p[loraBName(module)], scale: spec.scale };
}

/** The adapters' input: x itself, or with inverted dropout (x·mask / (1 − p)) inside withLoraDropout. */
export function adapterInput(p: Record<string, tf.Tensor>, module: string, x: tf.Tensor): tf.Tensor {
  const rate = specs.get(p[loraAName(module)])?.dropout ?? 0;
  if (!dropoutState || rate === 0) return x;
  return tf.dropout(x, rate, undefined, dropoutState.seed * 4096 + dropoutState.calls++);
}

/** W + s·B·A for one targeted projection (what a merged checkpoint holds), f32 also over a half-precision base
 * (its words read back exactly); a new tensor. */
export function mergedWeight(p: Record<string, tf.Tensor>, module: string): tf.Tensor {
  const A = p[loraAName(module)],
    B = p[loraBName(module)];
  const spec = specs.get(A);
  if (!spec) throw new Error(`LoRA: ${loraAName(module)} was not added through addLora (its scale is unknown)`);
  const W = p[`${module}.weight`];
  return tf.tidy(() => {
    const base = W.dtype === 'int32' ? unpackF16Words(W as tf.Tensor2D) : W;
    return tf.add(base, tf.mul(tf.matMul(B, A), spec.scale));
  });
}

/**
 * The weights with every adapter merged in (W + s·B·A), by base name and without adapter tensors, e.g. to save
 * a plain checkpoint; dispose() frees the merged copies (the other entries are the params' own variables).
 */
export function mergedParams(params: Record<string, tf.Variable>): {
  params: Record<string, tf.Tensor>;
  dispose(): void;
} {
  const copies: tf.Tensor[] = [];
  const out: Record<string, tf.Tensor> = {};
  for (const [n, v] of Object.entries(params)) if (!isLoraName(n)) out[n] = v;
  for (const m of loraModules(params)) {
    out[`${m}.weight`] = mergedWeight(params, m);
    copies.push(out[`${m}.weight`]);
  }
  return { params: out, dispose: () => tf.dispose(copies) };
}

/**
 * Folds the adapters into the (frozen) base, W ← W + s·B·A, and starts them again (A from `seed`, B zero): the
 * model computes what it did, and with adapters off it is now this model (GRPO's π_ref after distillation).
 * A half-precision base is rounded again, W₁₆ ← round₁₆(W₁₆ + s·B·A), on the GPU: the model then computes what
 * it did to within that rounding (half an f16 step of each weight), and policy and π_ref still start equal.
 */
export function mergeAndResetLora(params: Record<string, tf.Variable>, seed: number): void {
  const rng = createRng(seed);
  for (const m of loraModules(params)) {
    const W = params[`${m}.weight`];
    const merged = tf.tidy(() => {
      const sum = mergedWeight(params, m);
      return W.dtype === 'int32' ? packF16Words(sum as tf.Tensor2D) : sum;
    });
    W.assign(merged);
    merged.dispose();
    const A = params[loraAName(m)],
      B = params[loraBName(m)];
    const [a, b] = [tf.tensor(kaimingUniform(A.shape as [number, number], rng), A.shape), tf.zerosLike(B)];
    A.assign(a);
    B.assign(b);
    tf.dispose([a, b]); // assign shares the data; these handles are ours to free
  }
}

/**
 * Two adapters of one scale s on the same projections (distillation's, folded into the base, and GRPO's on
 * top) as one on the original base: s·B₁A₁ + s·B₂A₂ = s·[B₁ B₂]·[A₁; A₂], exact, of rank r₁ + r₂ = 2r. Its
 * α is set so its scale is still s (α' = s·r', or s·√r' with rsLoRA). Values by adapter name, A [r, in] and
 * B [out, r] row-major, as `s` (the settings both were added with) gives them.
 */
export function stackAdapters(
  first: Record<string, Float32Array>,
  second: Record<string, Float32Array>,
  s: LoraSettings,
): { settings: LoraSettings; weights: Record<string, Float32Array> } {
  const r = s.rank;
  const weights: Record<string, Float32Array> = {};
  for (const [name, a] of Object.entries(first)) {
    const b = second[name];
    if (!b || b.length !== a.length) throw new Error(`LoRA: ${name} is not in both adapters with one shape`);
    const out = new Float32Array(2 * a.length);
    if (name.endsWith('lora_A.weight')) {
      out.set(a); // A₁'s rows, then A₂'s
      out.set(b, a.length);
    } else
      for (let o = 0; o < a.length / r; o++) {
        out.set(a.subarray(o * r, (o + 1) * r), 2 * r * o); // row o: B₁'s r columns, then B₂'s
        out.set(b.subarray(o * r, (o + 1) * r), 2 * r * o + r);
      }
    weights[name] = out;
  }
  if (Object.keys(second).some((n) => !(n in first))) throw new Error('LoRA: the adapters are on different modules');
  const rank = 2 * r;
  const alpha = s.rslora ? loraScale(s) * Math.sqrt(rank) : loraScale(s) * rank;
  return { settings: { ...s, rank, alpha }, weights };
}

/** PEFT's kaiming_uniform_(A, a=√5) for A [r, in]: U(−1/√in, 1/√in). */
function kaimingUniform([r, inp]: [number, number], rng: ReturnType<typeof createRng>): Float32Array {
  const data = new Float32Array(r * inp);
  const bound = 1 / Math.sqrt(inp);
  for (let i = 0; i < data.length; i++) data[i] = (2 * rng.next() - 1) * bound;
  return data;
}

/** The modules that carry adapters, e.g. model.layers.0.self_attn.q_proj. */
export function loraModules(params: Record<string, tf.Tensor>): string[] {
  return Object.keys(params)
    .filter((n) => n.endsWith('.lora_A.weight'))
    .map((n) => n.slice(0, -'.lora_A.weight'.length));
}

// The run's whole configuration: one defaults object (a "why" per line) and one field table of rules (type,
// range, help, input kind) keyed by dotted setting name. Every way of setting a run parses through
// applyOverrides: the CLI flags (`--grpo.beta 0.01`), the URL hash and the Train page's form; unknown keys,
// wrong types and out-of-range values are refused, naming the setting, the value and what is allowed. The
// seed lives here, so a config reproduces a run. Leaves out the model architecture (engine/config.ts).
import { PRESETS, type PresetName } from '../engine/config';
import { WEIGHT_PRECISIONS, type WeightPrecision } from '../engine/f16_weights';
import { LORA_TARGETS, type LoraSettings, type LoraTarget } from '../engine/lora';
import { CATEGORIES } from '../rm/pair';
import { DEFAULT_KNOBS } from '../rm/world';
import { REASONING_TASKS } from '../rm/world_reasoning';
import type { TokenizerName } from '../rm/world_vocab';
import type { GrpoSchedule } from './grpo_run';
import type { GrpoConfig } from './grpo_types';
import { bool, choice, csv, int, list, parseSetting, real, type Rule } from './settings';
import type { SftConfig } from './sft';

/** Most tokens of one judgement wherever a judge writes (GRPO, evaluation, diagnosis, the Judge page): the
 * compact oracle traces are ≤ ~130 tokens (+ <eos>), so a correct judgement is never cut off (scored −1). */
export const MAX_JUDGEMENT_TOKENS = 144;

/** A model loaded to infer only on WebGPU (the Judge page, the judge/eval/diagnose CLIs, the bench) holds its
 * frozen matrices in half precision: half the bytes decode reads per token (engine/f16_weights.ts); 'f32'
 * keeps float32 for comparison. Training and other backends always load float32. */
export const INFER_WEIGHTS: WeightPrecision = 'f16';

export interface WorldSettings {
  nDistill: number;
  nGrpo: number;
  nEval: number;
  digits: number;
  maxConstraints: number;
  maxWords: number;
  reasoningTasks: string; // comma-separated, as config.json and links keep it
}
export interface EvalSettings {
  samples: number;
  temperature: number;
  maxCompletionLength: number;
  batchSize: number;
}
/** LoRA as the run config keeps it (targets comma-separated, as config.json and links keep lists). */
export interface LoraRunSettings {
  rank: number; // 0: full fine-tuning
  alpha: number;
  dropout: number;
  targets: string;
  rslora: boolean;
  base: WeightPrecision; // the frozen base's precision on WebGPU (engine/f16_base.ts)
}
export interface RunConfig {
  preset: PresetName;
  stage: 'sft' | 'grpo' | 'both';
  seed: number;
  tokenizer: TokenizerName;
  checkpointEvery: number;
  gpuMemory: number; // MiB the run may take on the GPU, checked before Start (0: not checked)
  world: WorldSettings;
  noRubric: boolean;
  sft: SftConfig;
  grpo: GrpoConfig & GrpoSchedule & { categories: string };
  eval: EvalSettings;
  lora: LoraRunSettings;
}

export const RUN_DEFAULTS: RunConfig = {
  preset: 'tiny', // model size: the default recipe is sized for tiny
  stage: 'both', // distillation, then GRPO (RM-R1's two stages)
  seed: 1, // init, data, sampling
  tokenizer: 'world', // words read ~2× faster and better than characters
  checkpointEvery: 20, // a failure loses little (0: stage ends only)
  gpuMemory: 0, // the browser does not say how much the GPU has: unchecked unless the user says
  world: {
    nDistill: 3200, // traced pairs for SFT (the paper traced ~12% of its data)
    nGrpo: 1000, // label-only pairs: GRPO's 40 steps × 16 pairs never run out
    nEval: 300, // held-out pairs, 150 judgements per category over both orders
    digits: DEFAULT_KNOBS.digits, // the world's own knobs (rm/world.ts), one default with the generator's
    maxConstraints: DEFAULT_KNOBS.maxConstraints,
    maxWords: DEFAULT_KNOBS.maxWords,
    reasoningTasks: DEFAULT_KNOBS.reasoningTasks.join(','),
  },
  noRubric: false, // ablation off: traces keep the rubric/solution part
  sft: {
    epochs: 5, // the recipe measured in the README: 3,200 traces × 5 epochs
    batchSize: 16,
    lr: 2e-3, // the tiny model's distillation rate; small uses 1e-3 (its preset)
    warmupSteps: 20,
    schedule: 'cosine', // decay to 10% of the peak
    weightDecay: 0.01,
    maxGradNorm: 1, // clip_grad_norm_'s usual 1
    evalEvery: 100, // held-out trace loss ~10 times over the default run
    lengthBucket: 16, // fewer distinct shapes, a flatter GPU buffer pool
    microBatch: 0, // the whole batch in one pass: the built-in models fit
    recompute: false, // keep activations: faster, and the built-in models fit
    seed: 1,
  },
  grpo: {
    numGenerations: 6, // G: RM-R1 uses 7; 6 keeps a tiny batch even
    // 32 judgements' prompts per step (16 pairs in both A/B orders) × G = 6: at 8 per step GRPO's updates were
    // mostly noise (held-out −3 to −4 points); at 32 it holds the distilled accuracy.
    promptsPerStep: 32,
    temperature: 1.0, // RM-R1
    topP: 1, // RM-R1: no nucleus
    maxCompletionLength: MAX_JUDGEMENT_TOKENS,
    beta: 0.001, // RM-R1's KL coefficient
    epsilon: 0.2, // PPO's clip
    epsilonHigh: 0.28, // clip-higher keeps exploration alive on a tiny model
    numIterations: 1, // μ: one update per batch of samples, as RM-R1
    scaleRewards: 'group', // GRPO's per-group std
    lossType: 'token_mean', // TRL's default
    maxGradNorm: 1, // RM-R1
    lengthBucket: 16, // fewer shapes across steps, so the GPU buffer pool stops growing
    microBatch: 48, // 192 judgements per step ran out of WASM's heap in one pass; 48 did not
    recompute: false, // keep activations: faster, and the built-in models fit
    steps: 40,
    lr: 1e-4, // 3e-4 drifts (KL 0.15)
    warmupSteps: 5,
    schedule: 'constant', // RM-R1
    weightDecay: 0,
    seed: 1,
    bothOrders: true, // position bias then earns no reward
    categories: '', // all pairs
  },
  eval: {
    samples: 1, // greedy
    temperature: 1,
    maxCompletionLength: MAX_JUDGEMENT_TOKENS,
    batchSize: 96, // judgements generated together: memory vs speed
  },
  lora: {
    rank: 0, // full fine-tuning: the built-in models are small enough to train whole
    alpha: 16, // s = α / r = 2 at r = 8, PEFT's common pairing
    dropout: 0, // PEFT's default
    targets: LORA_TARGETS.join(','), // every projection (QLoRA's finding: all of them, not only q and v)
    rslora: false, // PEFT's default α / r
    // half the base's bytes (Qwen2.5-0.5B's GRPO step fits 2 GB); bf16/f16 checkpoints convert exactly
    base: 'f16',
  },
};

/** lora.rank for a run of a real (pretrained) model: adapters by default, as its full fine-tuning rarely fits. */
export const REAL_MODEL_LORA_RANK = 8;

/** The run's LoRA settings, or null for full fine-tuning (rank 0, or a config saved before LoRA existed). */
export function loraOf(run: RunConfig): LoraSettings | null {
  const l = run.lora;
  if (l.rank === 0) return null;
  const targets = l.targets.split(',').map((t) => t.trim()) as LoraTarget[];
  return { rank: l.rank, alpha: l.alpha, dropout: l.dropout, targets, rslora: l.rslora };
}

/** How a run's model is loaded: a LoRA run's frozen base in lora.base (the loader keeps f32 off WebGPU, or when
 * a weight is past f16's range, and says why); full fine-tuning trains every weight, in f32. */
export const runWeights = (run: RunConfig): WeightPrecision => (loraOf(run) ? run.lora.base : 'f32');

/** Every setting's dotted key, e.g. 'grpo.beta'. */
type Leaves<T, P extends string = ''> = {
  [K in keyof T & string]: T[K] extends object ? Leaves<T[K], `${P}${K}.`> : `${P}${K}`;
}[keyof T & string];
export type SettingKey = Leaves<RunConfig>;

const SEED_MAX = 2 ** 32 - 1;
const PAIRS_MAX = 20_000; // the world runs out of new safety prompts well before more
const schedule = (what: string) => choice(['cosine', 'constant'], `Learning rate after warmup: ${what}.`);
const categoryItem = (item: string) => {
  const [c, subset, extra] = item.split('/');
  if (!(CATEGORIES as readonly string[]).includes(c)) return `"${c}" is not a category (${CATEGORIES.join(', ')})`;
  return subset === '' || extra !== undefined ? `"${item}" is not category/subset` : null;
};

const TASKS = { items: REASONING_TASKS, minItems: 1 };
const LORA_TARGET_LIST = { items: LORA_TARGETS, minItems: 1 };
const CATS = { check: categoryItem, itemIs: 'category or category/subset', minItems: 0 };
const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];
const SCALES = ['group', 'batch', 'none'] as const;
const LOSS_TYPES = ['token_mean', 'seq_mean_token_mean', 'dr_grpo'] as const;

/** The field table: every setting's range or choices, input kind and help, in the order of the defaults. */
const RULES: Record<SettingKey, Rule> = {
  preset: choice(PRESET_NAMES, 'Model size: nano (tests), tiny (the recipe, ~0.56M), small (~4M, real GPUs).'),
  stage: choice(['sft', 'grpo', 'both'], "RM-R1's stages to run: distillation (sft), GRPO (grpo), or both in order."),
  seed: int(0, SEED_MAX, 'Seeds weights, world, batch order and sampling: same seed and settings, same run.'),
  tokenizer: choice(['world', 'char'], "A new model's vocabulary: world (a token per world word) or char."),
  checkpointEvery: int(0, 100_000, 'Steps between "latest" checkpoints (0: only at stage ends).'),
  gpuMemory: int(0, 1 << 20, 'GPU memory (MiB) the run may take; Start refuses a plan past it (0: not checked).'),
  'world.nDistill': int(0, PAIRS_MAX, 'Synthetic pairs with oracle Chain-of-Rubrics traces, for distillation.'),
  'world.nGrpo': int(0, PAIRS_MAX, 'Label-only synthetic pairs for GRPO (the reward needs only the label).'),
  'world.nEval': int(1, PAIRS_MAX, 'Held-out synthetic pairs for accuracy, judged in both A/B orders.'),
  'world.digits': int(1, 3, 'Reasoning difficulty: digits per operand (letter tasks: digits + 2 letters).'),
  'world.maxConstraints': int(1, 3, 'Chat difficulty: most checkable constraints per instruction.'),
  'world.maxWords': int(3, 10, 'Chat difficulty: most words per response (longer is harder to count).'),
  'world.reasoningTasks': csv(list('Reasoning tasks to draw (muladd: a*b±c; count: letters).', TASKS)),
  noRubric: bool('Ablation: distil traces without the rubric/solution block (type, checks, verdict only).'),
  'sft.epochs': int(1, 100, 'Passes over the traced split.'),
  'sft.batchSize': int(1, 512, 'Traces per optimizer step (grouped by length: little padding).'),
  'sft.lr': real(0, 1, 'Peak learning rate of AdamW for distillation.'),
  'sft.warmupSteps': int(0, 10_000, 'Steps of linear warmup to the peak learning rate.'),
  'sft.schedule': schedule('cosine decay to 10% of the peak, or constant'),
  'sft.weightDecay': real(0, 1, 'AdamW decoupled weight decay on the weight matrices.'),
  'sft.maxGradNorm': real(0.001, 1e6, 'Clip the global gradient norm to this (logged before clipping: grad_norm).'),
  'sft.evalEvery': int(0, 100_000, 'Steps between held-out trace losses (eval_loss); 0 = only at the end.'),
  'sft.lengthBucket': int(1, 256, 'Pad lengths to a multiple of this: fewer shapes, a flatter GPU buffer pool.'),
  'sft.microBatch': int(0, 512, 'Traces per forward/backward; gradients add up to one step (0: whole batch).'),
  'sft.recompute': bool("Recompute each block's activations in the backward pass: less memory, ~⅓ more time."),
  'sft.seed': int(0, SEED_MAX, 'Seeds the batch order of distillation.'),
  'grpo.numGenerations': int(2, 64, 'G: judgements sampled per prompt, compared within the group (RM-R1: 7).'),
  'grpo.promptsPerStep': int(1, 1024, 'Judged prompts per step, each with G judgements (even with bothOrders).'),
  'grpo.temperature': real(0.01, 10, 'τ for sampling and for the log-probs in the ratio and KL (RM-R1: 1.0).'),
  'grpo.topP': real(0.01, 1, 'Nucleus sampling; 1 = off, as in RM-R1.'),
  'grpo.maxCompletionLength': int(1, 4096, 'Most tokens per judgement; one cut off has no verdict: −1.'),
  'grpo.beta': real(0, 10, 'β: weight of the k3 KL to the frozen distilled model (RM-R1: 0.001; 0: none).'),
  'grpo.epsilon': real(0, 1, "ε_low: ratio clipped below 1 − ε_low for negative advantages (PPO's clip)."),
  'grpo.epsilonHigh': real(0, 10, "ε_high: ratio clipped above 1 + ε_high for positive ones (DAPO's clip-higher)."),
  'grpo.numIterations': int(1, 16, 'μ: updates per batch of samples (1: the ratio is always 1).'),
  'grpo.scaleRewards': choice(SCALES, 'Advantages ÷ the group std (GRPO), ÷ the batch std, or none (Dr. GRPO).'),
  'grpo.lossType': choice(LOSS_TYPES, 'token_mean (TRL), seq_mean_token_mean (GRPO paper) or dr_grpo (÷ G·L_max).'),
  'grpo.maxGradNorm': real(0.001, 1e6, 'Clip the global gradient norm to this (RM-R1: 1.0).'),
  'grpo.lengthBucket': int(1, 256, 'Pad lengths to multiples of this: fewer shapes, a flat GPU buffer pool.'),
  'grpo.microBatch': int(0, 65_536, 'Judgements per forward/backward of the loss, summed (0: whole batch).'),
  'grpo.recompute': bool("Recompute each block's activations in the backward pass: less memory, ~⅓ more time."),
  'grpo.steps': int(1, 10_000, 'GRPO optimizer steps (each: sample, score, advantages, μ updates).'),
  'grpo.lr': real(0, 1, 'Peak learning rate of AdamW for GRPO.'),
  'grpo.warmupSteps': int(0, 10_000, 'Steps of linear warmup to the peak learning rate.'),
  'grpo.schedule': schedule('constant (RM-R1) or cosine decay to 10%'),
  'grpo.weightDecay': real(0, 1, 'AdamW decoupled weight decay on the weight matrices.'),
  'grpo.seed': int(0, SEED_MAX, 'Seeds the order of GRPO pairs and the sampling.'),
  'grpo.bothOrders': bool('Judge each pair in both A/B orders in one step: position bias earns no reward.'),
  'grpo.categories': csv(list('GRPO only on these categories or subsets (reasoning/count); empty: all.', CATS)),
  'eval.samples': int(1, 64, 'Judgements per pair and order: 1 = greedy, N = sampled majority vote.'),
  'eval.temperature': real(0.01, 10, 'Sampling temperature when eval.samples > 1.'),
  'eval.maxCompletionLength': int(1, 4096, 'Most tokens per evaluation judgement.'),
  'eval.batchSize': int(1, 1024, 'Judgements generated together (memory vs speed).'),
  'lora.rank': int(
    0,
    1024,
    'LoRA rank r of adapters on the frozen model; 0: full fine-tuning (real models start at 8).',
  ),
  'lora.alpha': real(0.001, 10_000, 'LoRA α: the update B·A is scaled by α / r (α / √r with rsLoRA).'),
  'lora.dropout': real(0, 0.9, "Dropout on the adapters' input during distillation (PEFT's lora_dropout)."),
  'lora.targets': csv(list("Projections that get adapters (PEFT's target_modules).", LORA_TARGET_LIST)),
  'lora.rslora': bool('rsLoRA: scale by α / √r, so larger ranks learn at the same pace.'),
  'lora.base': choice(
    WEIGHT_PRECISIONS,
    "The frozen base's precision on WebGPU: f16 halves its bytes (kernels read half-precision words, sums in " +
      'f32); f32 to compare. Other backends, and full fine-tuning, train in f32.',
  ),
};

/** One setting: its rule, its dotted key and its default. */
export interface Field extends Rule {
  key: SettingKey;
  default: unknown;
}

/** [dotted key, value] for every leaf of a config, in its order. */
function leaves(obj: object, prefix = ''): [string, unknown][] {
  return Object.entries(obj).flatMap(([k, v]): [string, unknown][] =>
    v !== null && typeof v === 'object' ? leaves(v, `${prefix}${k}.`) : [[prefix + k, v]],
  );
}

const FIELDS: readonly Field[] = leaves(RUN_DEFAULTS).map(([key, value]) => ({
  ...RULES[key as SettingKey],
  key: key as SettingKey,
  default: value,
}));
const BY_KEY = new Map<string, Field>(FIELDS.map((f) => [f.key, f]));

/** Every setting with its default and rule, in form order. */
export const fieldTable = (): readonly Field[] => FIELDS;

/** A setting's rule by dotted key; undefined for a key that is not a setting. */
export const fieldOf = (key: string): Field | undefined => BY_KEY.get(key);

type At<T, K extends string> = K extends `${infer H}.${infer R}`
  ? H extends keyof T
    ? At<T[H], R>
    : never
  : K extends keyof T
    ? T[K]
    : never;

/** A setting's rule, typed by its value (a CLI reuses it for a flag of the same meaning). */
export const ruleOf = <K extends SettingKey>(key: K) => BY_KEY.get(key) as Rule<At<RunConfig, K>>;

/** The value of `key` in `cfg` (undefined when a saved config lacks it). */
export function settingValue(cfg: RunConfig, key: string): unknown {
  return key
    .split('.')
    .reduce<unknown>(
      (o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined),
      cfg,
    );
}

/** Parses one setting's text; throws naming the setting, the value and what is allowed (or the known keys). */
export function parseRunSetting(key: string, raw: string): unknown {
  const f = BY_KEY.get(key);
  if (!f) throw new Error(`Unknown setting "${key}". Known: ${FIELDS.map((x) => x.key).join(', ')}`);
  return parseSetting(`Setting "${key}"`, f, raw);
}

/**
 * A stored run's config completed with today's defaults: a record saved before a setting existed (LoRA,
 * micro-batches, recomputation) reads as having run with that setting's default, which is what it ran with.
 * Stored values win; nothing outside the field table is added.
 */
export function completeRunConfig(stored: RunConfig): RunConfig {
  const fill = (defaults: Record<string, unknown>, given: Record<string, unknown> | undefined) => {
    const out: Record<string, unknown> = { ...given };
    for (const [k, d] of Object.entries(defaults))
      if (d !== null && typeof d === 'object') out[k] = fill(d as Record<string, unknown>, given?.[k] as never);
      else if (!(given && Object.hasOwn(given, k))) out[k] = d;
    return out;
  };
  return fill(RUN_DEFAULTS as unknown as Record<string, unknown>, stored as never) as unknown as RunConfig;
}

/** A stored run record with its config completed (completeRunConfig); null stays null. */
export function withCompleteConfig<R extends { config: RunConfig }>(r: R | null | undefined): R | null {
  return r ? { ...r, config: completeRunConfig(r.config) } : null;
}

/** Applies `key=value` overrides (strings, as from flags, a URL or a form) to a copy of `base`. */
export function applyOverrides(base: RunConfig, overrides: Record<string, string>): RunConfig {
  const cfg = structuredClone(base);
  for (const [key, raw] of Object.entries(overrides)) {
    const value = parseRunSetting(key, raw);
    const path = key.split('.');
    let o = cfg as unknown as Record<string, unknown>;
    for (const p of path.slice(0, -1)) o = o[p] as Record<string, unknown>;
    o[path[path.length - 1]] = value;
  }
  return cfg;
}

/** The settings that differ from the defaults, as `key=value` strings (for a URL hash or a command line);
 * settings `cfg` lacks (a config saved by an older version) are left out, so they keep their defaults. */
export function diffFromDefaults(cfg: RunConfig): Record<string, string> {
  return Object.fromEntries(
    FIELDS.flatMap((f) => {
      const v = settingValue(cfg, f.key);
      return v === undefined || v === f.default ? [] : [[f.key, String(v)]];
    }),
  );
}

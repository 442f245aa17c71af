// The run's whole configuration, one defaults object with a "why" per field, and the one field table
// derived from it that parses CLI flags (`--grpo.beta 0.01`) and, later, the URL hash. Unknown keys and
// wrong types are refused. The seed lives here, so a config reproduces a run.
import type { PresetName } from '../engine/config';
import type { TokenizerName } from '../rm/world_vocab';
import { GRPO_DEFAULTS } from './grpo_run';
import { SFT_DEFAULTS } from './sft';

export const RUN_DEFAULTS = {
  preset: 'tiny' as PresetName, // model size: the default recipe is sized for tiny
  stage: 'both' as 'sft' | 'grpo' | 'both', // distillation, then GRPO (RM-R1's two stages)
  seed: 1, // init, data, sampling
  // a new model's vocabulary (a checkpoint brings its own); words read ~2× faster and better than characters
  tokenizer: 'world' as TokenizerName,
  checkpointEvery: 20, // steps between 'latest' checkpoints, so a failure loses little (0: stage ends only)
  // traced SFT pairs (the paper traced ~12%), label-only GRPO pairs, held-out pairs; difficulty knobs (rm/world.ts)
  world: {
    nDistill: 3200,
    nGrpo: 1000,
    nEval: 300,
    digits: 1,
    maxConstraints: 2,
    maxWords: 4,
    reasoningTasks: 'add,sub,muladd,reverse,sort,count',
  },
  noRubric: false, // ablation: traces without the rubric/solution part
  sft: { ...SFT_DEFAULTS, epochs: 5, lr: 2e-3, evalEvery: 100 },
  // 32 judgements' prompts per step (16 pairs in both A/B orders) × G = 6: at 8 per step GRPO's updates were
  // mostly noise (held-out −3 to −4 points); at 32 it holds the distilled accuracy. 3e-4 drifts (KL 0.15).
  grpo: { ...GRPO_DEFAULTS, lr: 1e-4, promptsPerStep: 32, steps: 40, bothOrders: true, categories: '' },
  eval: { samples: 1, temperature: 1, maxCompletionLength: 144, batchSize: 96 }, // 1 sample = greedy; both A/B orders
};

export type RunConfig = typeof RUN_DEFAULTS;

/** One line per setting: what it does and why the default; the Train page and `--help` show these. */
export const HELP: Record<string, string> = {
  preset:
    'Model size: nano (tests, seconds), tiny (the default recipe, ~0.56M parameters with the world tokenizer), ' +
    'small (~4M, for real GPUs).',
  stage: "Which of RM-R1's stages to run: distillation (sft), GRPO (grpo, from the start weights), or both in order.",
  seed:
    'Seeds the weights, the synthetic world, batch order and ' +
    'sampling: the same seed and settings give the same run.',
  tokenizer:
    "A new model's vocabulary: world (characters plus one token per word of the built-in world, so a tiny model " +
    'reads a response as a few words) or char (characters only). A model loaded from a checkpoint keeps its own.',
  checkpointEvery:
    'Save a "latest" checkpoint every this many steps, so a failure loses little (0: only at stage ends).',
  'world.nDistill':
    'Synthetic pairs with oracle Chain-of-Rubrics traces for distillation (RM-R1 traced ~12% of its data).',
  'world.nGrpo': 'Label-only synthetic pairs for GRPO: the reward needs only which response is better.',
  'world.nEval': 'Held-out synthetic pairs for accuracy, judged in both A/B orders.',
  'world.digits': 'Reasoning difficulty: digits per operand in sums and differences (1–3).',
  'world.maxConstraints': 'Chat difficulty: most checkable constraints per instruction (1–3).',
  'world.maxWords': 'Chat difficulty: most words per response (longer ones are harder to count).',
  'world.reasoningTasks':
    'Reasoning tasks to draw, comma-separated, from add, sub, muladd (a*b±c), reverse, sort, count (letters).',
  noRubric: 'Ablation: distil traces without the rubric/solution block (type, checks and verdict only).',
  'sft.epochs': 'Passes over the traced split.',
  'sft.batchSize': 'Traces per optimizer step (grouped by length to waste little on padding).',
  'sft.lr': 'Peak learning rate of AdamW for distillation.',
  'sft.warmupSteps': 'Steps of linear warmup to the peak learning rate.',
  'sft.schedule': 'Learning rate after warmup: cosine decay to 10% of the peak, or constant.',
  'sft.weightDecay': 'AdamW decoupled weight decay on the weight matrices.',
  'sft.maxGradNorm': 'Clip the global gradient norm to this (the norm before clipping is logged as grad_norm).',
  'sft.evalEvery': 'Steps between held-out trace losses (eval_loss); 0 = only at the end.',
  'sft.lengthBucket': 'Pad batch lengths up to a multiple of this: fewer distinct shapes, a flatter GPU buffer pool.',
  'sft.seed': 'Seeds the batch order of distillation.',
  'grpo.numGenerations': 'G: judgements sampled per prompt; advantages compare them within the group (RM-R1: 7).',
  'grpo.promptsPerStep': 'Preference pairs per GRPO step (each gets G judgements).',
  'grpo.temperature': 'τ for sampling and for the log-probs in the ratio and KL (RM-R1: 1.0).',
  'grpo.topP': 'Nucleus sampling; 1 = off, as in RM-R1.',
  'grpo.maxCompletionLength': 'Most tokens per judgement; a judgement cut off here has no verdict and scores −1.',
  'grpo.beta':
    'β: weight of the k3 KL penalty to the frozen distilled model (RM-R1: 0.001; 0 turns the reference off).',
  'grpo.epsilon': "ε_low: the ratio is clipped below 1 − ε_low for negative advantages (PPO's clip).",
  'grpo.epsilonHigh':
    "ε_high: the ratio is clipped above 1 + ε_high for positive advantages (DAPO's clip-higher when > ε_low).",
  'grpo.numIterations':
    'μ: updates per batch of samples, each against the sampling-time log-probs (1 = ratio is always 1).',
  'grpo.scaleRewards':
    "Advantage scale: group (GRPO: divide by the group's std), batch (by the batch std) or none (Dr. GRPO).",
  'grpo.lossType':
    "Aggregation: token_mean over all tokens (TRL's default), seq_mean_token_mean (GRPO paper), dr_grpo (÷ G·L_max).",
  'grpo.maxGradNorm': 'Clip the global gradient norm to this (RM-R1: 1.0).',
  'grpo.lengthBucket':
    'Pad prompt and completion lengths up to multiples of this: fewer shapes across steps, so the GPU buffer ' +
    'pool stops growing.',
  'grpo.steps': 'GRPO optimizer steps (each: sample, score, advantages, then μ loss/update pairs).',
  'grpo.lr': 'Peak learning rate of AdamW for GRPO.',
  'grpo.warmupSteps': 'Steps of linear warmup to the peak learning rate.',
  'grpo.schedule': 'Learning rate after warmup: constant (RM-R1) or cosine decay to 10%.',
  'grpo.weightDecay': 'AdamW decoupled weight decay on the weight matrices.',
  'grpo.seed': 'Seeds the order of GRPO pairs and the sampling.',
  'grpo.categories':
    'GRPO only on pairs of these categories or subsets, comma-separated (e.g. reasoning, or reasoning/count); ' +
    'empty = all.',
  'grpo.bothOrders':
    'Judge each GRPO pair in both A/B orders in the same step ' +
    '(half as many pairs): position bias then earns no reward.',
  'eval.samples': 'Judgements per pair and order for evaluation: 1 = greedy, N = sampled majority vote.',
  'eval.temperature': 'Sampling temperature when eval.samples > 1.',
  'eval.maxCompletionLength': 'Most tokens per evaluation judgement.',
  'eval.batchSize': 'Judgements generated together (memory vs speed).',
};

export interface Field {
  key: string;
  type: 'number' | 'string' | 'boolean';
  default: unknown;
  help: string;
  options?: readonly string[];
}

/** Every leaf of the defaults, by dotted key, with its help line and (for enums) its options. */
export function fieldTable(obj: object = RUN_DEFAULTS, prefix = ''): Field[] {
  return Object.entries(obj).flatMap(([k, v]): Field[] =>
    v !== null && typeof v === 'object'
      ? fieldTable(v, `${prefix}${k}.`)
      : [
          {
            key: prefix + k,
            type: typeof v as Field['type'],
            default: v,
            help: HELP[prefix + k] ?? '',
            ...(ENUMS[prefix + k] ? { options: ENUMS[prefix + k] } : {}),
          },
        ],
  );
}

const ENUMS: Record<string, readonly string[]> = {
  preset: ['nano', 'tiny', 'small'],
  tokenizer: ['world', 'char'],
  stage: ['sft', 'grpo', 'both'],
  'sft.schedule': ['cosine', 'constant'],
  'grpo.schedule': ['cosine', 'constant'],
  'grpo.scaleRewards': ['group', 'batch', 'none'],
  'grpo.lossType': ['token_mean', 'seq_mean_token_mean', 'dr_grpo'],
};

/** Applies `key=value` overrides (strings, as from flags or a URL) to a copy of `base`; throws naming the key. */
export function applyOverrides(base: RunConfig, overrides: Record<string, string>): RunConfig {
  const cfg = structuredClone(base);
  const fields = new Map(fieldTable(base).map((f) => [f.key, f]));
  for (const [key, raw] of Object.entries(overrides)) {
    const f = fields.get(key);
    if (!f) throw new Error(`Unknown setting "${key}". Known: ${[...fields.keys()].join(', ')}`);
    let value: unknown = raw;
    if (f.type === 'number') {
      value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value))
        throw new Error(`Setting "${key}" must be a number (got "${raw}")`);
    } else if (f.type === 'boolean') {
      if (raw !== 'true' && raw !== 'false') throw new Error(`Setting "${key}" must be true or false (got "${raw}")`);
      value = raw === 'true';
    } else if (ENUMS[key] && !ENUMS[key].includes(raw)) {
      throw new Error(`Setting "${key}" must be one of ${ENUMS[key].join(', ')} (got "${raw}")`);
    }
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
  const now = new Map(fieldTable(cfg).map((f) => [f.key, f.default]));
  return Object.fromEntries(
    fieldTable()
      .filter((f) => now.get(f.key) !== undefined && now.get(f.key) !== f.default)
      .map((f) => [f.key, String(now.get(f.key))]),
  );
}

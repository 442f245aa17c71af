// Every GRPO setting of a run (run_config.ts's `grpo.*` fields) mapped to TRL's GRPOConfig names and to
// verl's config keys: the keys it sets from the run's value, with a note, or an explicit "no equivalent"
// and why. The map's type names every field, so a new GRPO setting without a mapping does not compile, and
// settings_map.test.ts checks the field table against it and every key against the trainers' own lists.
// Mapped against huggingface/trl @ f2cd577 (1.10.0.dev0: trl/trainer/grpo_config.py, grpo_trainer.py) and
// volcengine/verl @ b178a3c (0.8.0.dev: verl/trainer/config/_generated_ppo_trainer.yaml, core_algos.py).
import { ADAMW_MOMENTS } from '../../engine/optimizer';
import { GRPO_MIN_LR_RATIO } from '../grpo_run';
import type { RunConfig } from '../run_config';
import type { Target } from './targets';

export type { Target } from './targets';

export type GrpoSettings = RunConfig['grpo'];
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type Keys = Record<string, Json>;

/** How one setting reaches a trainer: the keys it sets and a note, or why there is no equivalent. `differs`
 * names where the trainer's math differs from ours for this run's values (null: it does not). */
export type Mapping<S = GrpoSettings> =
  | { set: (g: S) => Keys; note: string; differs?: (g: S) => string | null }
  | { none: string };

const ACTOR = 'actor_rollout_ref.actor';
const ROLLOUT = 'actor_rollout_ref.rollout';
const OPTIM = `${ACTOR}.optim`;

/** A field that is one key in each trainer, with the same value. */
const same = (field: keyof GrpoSettings, trl: string, verl: string, note: string) => ({
  trl: { set: (g: GrpoSettings) => ({ [trl]: g[field] as Json }), note },
  verl: { set: (g: GrpoSettings) => ({ [verl]: g[field] as Json }), note },
});

const MIN_LR_RATIO = GRPO_MIN_LR_RATIO;
const warmupDiffers = 'Hugging Face and verl warm up as lr·s/W from step 0; ours as lr·(s+1)/W, one step ahead.';
const BOTH_ORDERS =
  'written into the data: each pair is a row as given and a row swapped. The trainers shuffle rows, so a ' +
  "pair's two orders seldom share a batch, as they do here";

const TRL_LOSS = { token_mean: 'dapo', seq_mean_token_mean: 'grpo', dr_grpo: 'dr_grpo' } as const;
const VERL_LOSS = {
  token_mean: 'token-mean',
  seq_mean_token_mean: 'seq-mean-token-mean',
  dr_grpo: 'seq-mean-token-sum-norm',
} as const;
const offered = <T>(table: Record<string, T>, g: GrpoSettings): T => {
  const v = table[g.lossType];
  if (v === undefined) throw new Error(`grpo.lossType ${g.lossType} is not one the run settings offer`);
  return v;
};

/** Field → TRL and verl. */
export const GRPO_SETTINGS_MAP: { [K in keyof GrpoSettings]-?: Record<Target, Mapping> } = {
  numGenerations: same('numGenerations', 'num_generations', `${ROLLOUT}.n`, 'G: judgements sampled per prompt.'),
  promptsPerStep: {
    trl: {
      set: (g) => ({ generation_batch_size: g.promptsPerStep * g.numGenerations }),
      note:
        'Completions per step (prompts × G); train_grpo.py sets gradient_accumulation_steps so that per-device ' +
        'batch × processes × accumulation equals it: one optimizer step per generation, as here.',
    },
    verl: {
      set: (g) => ({ 'data.train_batch_size': g.promptsPerStep, [`${ACTOR}.ppo_mini_batch_size`]: g.promptsPerStep }),
      note: 'Prompts per step; the mini-batch is the whole batch, so one update per step (× ppo_epochs).',
    },
  },
  temperature: same('temperature', 'temperature', `${ROLLOUT}.temperature`, 'τ for sampling and for the log-probs.'),
  topP: same('topP', 'top_p', `${ROLLOUT}.top_p`, 'Nucleus sampling; 1 = off.'),
  maxCompletionLength: same(
    'maxCompletionLength',
    'max_completion_length',
    'data.max_response_length',
    'Most tokens per judgement; a cut one scores −1.',
  ),
  beta: {
    trl: {
      set: (g) => ({ beta: g.beta }),
      note: 'k3 KL to the reference (the starting checkpoint), as ours.',
      differs: (g) => (g.beta > 0 ? 'TRL does not clamp k3; ours and verl clamp it to [−10, 10].' : null),
    },
    verl: {
      set: (g) => ({
        [`${ACTOR}.use_kl_loss`]: g.beta > 0,
        [`${ACTOR}.kl_loss_coef`]: g.beta,
        [`${ACTOR}.kl_loss_type`]: 'low_var_kl',
        'algorithm.use_kl_in_reward': false,
      }),
      note: 'KL in the loss (low_var_kl = k3, clamped to ±10 as ours), none in the reward: RM-R1’s setup.',
    },
  },
  epsilon: same('epsilon', 'epsilon', `${ACTOR}.clip_ratio_low`, 'ε_low of the clipped ratio.'),
  epsilonHigh: {
    trl: { set: (g) => ({ epsilon_high: g.epsilonHigh }), note: 'ε_high of the clipped ratio.' },
    verl: {
      set: (g) => ({ [`${ACTOR}.clip_ratio_high`]: g.epsilonHigh }),
      note: 'ε_high of the clipped ratio.',
      differs: () =>
        'verl also caps the loss of negative advantages at 3·|A| (dual clip, clip_ratio_c); ours does not.',
    },
  },
  numIterations: same('numIterations', 'num_iterations', `${ACTOR}.ppo_epochs`, 'μ: updates per batch of samples.'),
  scaleRewards: {
    trl: { set: (g) => ({ scale_rewards: g.scaleRewards }), note: 'group / batch / none, the same three.' },
    verl: {
      set: (g) => ({ 'algorithm.norm_adv_by_std_in_grpo': g.scaleRewards !== 'none' }),
      note: 'True divides by the group σ (GRPO), False only centres (Dr. GRPO).',
      differs: (g) =>
        g.scaleRewards === 'batch'
          ? "verl's GRPO has no batch σ: the group σ is used."
          : g.scaleRewards === 'group'
            ? 'verl adds 1e-6 to σ; ours and TRL add 1e-4.'
            : null,
    },
  },
  lossType: {
    trl: {
      set: (g) => ({ loss_type: offered(TRL_LOSS, g) }),
      note: 'token_mean = dapo (÷ all tokens of the step), seq_mean_token_mean = grpo, dr_grpo = dr_grpo.',
    },
    verl: {
      set: (g) => ({
        [`${ACTOR}.loss_agg_mode`]: offered(VERL_LOSS, g),
        ...(g.lossType === 'dr_grpo' ? { [`${ACTOR}.loss_scale_factor`]: g.maxCompletionLength } : {}),
      }),
      note: 'token_mean = token-mean, seq_mean_token_mean = seq-mean-token-mean, dr_grpo = seq-mean-token-sum-norm.',
      differs: (g) => (g.lossType === 'dr_grpo' ? 'verl divides by L_max alone; ours by G·prompts·L_max.' : null),
    },
  },
  maxGradNorm: same('maxGradNorm', 'max_grad_norm', `${ACTOR}.grad_clip`, 'Global gradient-norm clip.'),
  lengthBucket: {
    trl: { set: (g) => ({ pad_to_multiple_of: g.lengthBucket }), note: 'Pads prompt and completion ids alike.' },
    verl: { none: 'verl removes padding (use_remove_padding) and packs sequences: shapes cost it nothing' },
  },
  microBatch: {
    trl: { none: 'memory, not maths: train_grpo.py sets per_device_train_batch_size and the accumulation per GPU' },
    verl: { none: 'memory, not maths: size ppo_micro_batch_size_per_gpu to the GPU; the update is the same' },
  },
  recompute: {
    trl: { none: "memory, not maths: TrainingArguments' gradient_checkpointing does the same on the cluster" },
    verl: { none: 'memory, not maths: actor_rollout_ref.model.enable_gradient_checkpointing does the same' },
  },
  steps: same('steps', 'max_steps', 'trainer.total_training_steps', 'GRPO optimizer steps.'),
  lr: same('lr', 'learning_rate', `${OPTIM}.lr`, 'Peak AdamW learning rate.'),
  warmupSteps: {
    trl: {
      set: (g) => ({ warmup_steps: g.warmupSteps }),
      note: 'Linear warmup steps.',
      differs: (g) => (g.warmupSteps > 0 ? warmupDiffers : null),
    },
    verl: {
      set: (g) => ({ [`${OPTIM}.lr_warmup_steps`]: g.warmupSteps }),
      note: 'Linear warmup steps.',
      differs: (g) => (g.warmupSteps > 0 ? warmupDiffers : null),
    },
  },
  schedule: {
    trl: {
      set: (g): Keys =>
        g.schedule === 'constant'
          ? { lr_scheduler_type: 'constant_with_warmup' }
          : { lr_scheduler_type: 'cosine_with_min_lr', lr_scheduler_kwargs: { min_lr_rate: MIN_LR_RATIO } },
      note: `Constant after warmup, or cosine to ${MIN_LR_RATIO * 100}% of the peak (Hugging Face schedulers).`,
    },
    verl: {
      set: (g) => ({
        [`${OPTIM}.lr_scheduler_type`]: g.schedule,
        [`${OPTIM}.min_lr_ratio`]: g.schedule === 'cosine' ? MIN_LR_RATIO : 0,
      }),
      note: `Constant after warmup, or cosine (half a cycle) to ${MIN_LR_RATIO * 100}% of the peak.`,
    },
  },
  weightDecay: same('weightDecay', 'weight_decay', `${OPTIM}.weight_decay`, 'AdamW decoupled weight decay.'),
  seed: {
    trl: { set: (g) => ({ seed: g.seed }), note: 'Seeds the data order and initialisation, not our sampler.' },
    verl: { set: (g) => ({ 'data.seed': g.seed }), note: 'Seeds the data order; vLLM samples with its own seeds.' },
  },
  bothOrders: {
    trl: { none: BOTH_ORDERS },
    verl: { none: BOTH_ORDERS },
  },
  categories: {
    trl: { none: 'applied to the data: only the chosen categories’ pairs are written' },
    verl: { none: 'applied to the data: only the chosen categories’ pairs are written' },
  },
};

/** Settings that are not fields of ours but make the trainer compute what we do (AdamW's moments). */
export const OPTIMIZER_KEYS: Record<Target, Keys> = {
  trl: { adam_beta1: ADAMW_MOMENTS.beta1, adam_beta2: ADAMW_MOMENTS.beta2, adam_epsilon: ADAMW_MOMENTS.eps },
  verl: { [`${OPTIM}.betas`]: [ADAMW_MOMENTS.beta1, ADAMW_MOMENTS.beta2] },
};

export interface MappedRow {
  field: string; // grpo.<name>
  keys: Keys; // empty when there is no equivalent
  note: string;
  differs: string | null;
}

/** The run's GRPO settings as one target's keys, row by row (for the README) and merged (for the config). */
export function mapSettings(target: Target, g: GrpoSettings): { keys: Keys; rows: MappedRow[] } {
  const rows = (Object.keys(GRPO_SETTINGS_MAP) as (keyof GrpoSettings)[]).map((name): MappedRow => {
    const m = GRPO_SETTINGS_MAP[name][target];
    if ('none' in m) return { field: `grpo.${name}`, keys: {}, note: `No equivalent: ${m.none}.`, differs: null };
    return { field: `grpo.${name}`, keys: m.set(g), note: m.note, differs: m.differs?.(g) ?? null };
  });
  const keys: Keys = Object.assign({}, ...rows.map((r) => r.keys), OPTIMIZER_KEYS[target]);
  return { keys, rows };
}

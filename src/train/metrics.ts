// The one table of logged metrics: TRL's key, a one-line definition, and which stage logs it. Run records,
// charts and docs read it, so a new metric is one row. Leaves out how each value is computed
// (rm/grpo_metrics.ts for GRPO's pure ones; the loops in train/ for loss, grad_norm, timing).

export type MetricWhen = 'sft' | 'grpo' | 'both' | 'eval';

export interface MetricDef {
  key: string;
  description: string;
  when: MetricWhen;
  note?: string; // a condition on logging, e.g. "only if beta > 0"
}

const CATEGORY_KEYS = ['chat', 'chat-hard', 'safety', 'reasoning'] as const;

export const METRICS = [
  {
    key: 'loss',
    when: 'both',
    description:
      'SFT: mean token NLL of the trace tokens (prompt masked). GRPO: the aggregated clipped-surrogate + β·k3 ' +
      'loss; ≈ 0 at μ = 1 with seq-mean aggregation, so not a progress signal.',
  },
  {
    key: 'eval_loss',
    when: 'sft',
    note: 'only at evaluation steps',
    description: 'Mean token NLL on the held-out traces.',
  },
  {
    key: 'reward',
    when: 'grpo',
    description: 'Mean reward over all sampled judgements of the step (+1 verdict matches the label, −1 otherwise).',
  },
  {
    key: 'reward_std',
    when: 'grpo',
    description:
      "Mean of the per-group reward standard deviations (unbiased); with scaleRewards 'batch', the std of all " +
      'rewards in the batch.',
  },
  {
    key: 'frac_reward_zero_std',
    when: 'grpo',
    description:
      'Fraction of samples whose group has reward std 0 (all verdicts right or all wrong): zero advantage, no ' +
      'policy gradient.',
  },
  {
    key: 'accuracy',
    when: 'grpo',
    description: 'Fraction of sampled judgements whose verdict matches the label (reward +1).',
  },
  ...CATEGORY_KEYS.map((c) => ({
    key: `accuracy/${c}` as const,
    when: 'grpo' as const,
    description: `Fraction of the step's sampled judgements on ${c} pairs whose verdict matches the label.`,
  })),
  {
    key: 'kl',
    when: 'grpo',
    note: 'only if beta > 0',
    description: 'Mean per-token k3 estimate of KL(π_θ‖π_ref) to the stage-1 checkpoint, over completion tokens.',
  },
  {
    key: 'clip_ratio',
    when: 'grpo',
    description:
      'Short name charts use for clip_ratio/region_mean: fraction of completion tokens where the clipped branch ' +
      'of the surrogate is taken.',
  },
  {
    key: 'clip_ratio/low_mean',
    when: 'grpo',
    description:
      'Fraction of completion tokens clipped on the lower bound: ratio < 1 − ε_low with a negative advantage.',
  },
  {
    key: 'clip_ratio/high_mean',
    when: 'grpo',
    description:
      'Fraction of completion tokens clipped on the upper bound: ratio > 1 + ε_high with a positive advantage.',
  },
  {
    key: 'clip_ratio/region_mean',
    when: 'grpo',
    description: 'Fraction of completion tokens clipped on either bound (low or high), i.e. with zero policy gradient.',
  },
  { key: 'completions/mean_length', when: 'grpo', description: 'Mean length in tokens of the sampled judgements.' },
  { key: 'completions/min_length', when: 'grpo', description: 'Shortest sampled judgement, in tokens.' },
  { key: 'completions/max_length', when: 'grpo', description: 'Longest sampled judgement, in tokens.' },
  {
    key: 'completions/clipped_ratio',
    when: 'grpo',
    description: 'Fraction of sampled judgements cut off at max_completion_length before EOS (they score −1).',
  },
  {
    key: 'entropy',
    when: 'grpo',
    description: 'Mean entropy of the policy’s next-token distribution over completion tokens.',
  },
  { key: 'grad_norm', when: 'both', description: 'Global L2 norm of the gradient before clipping.' },
  { key: 'learning_rate', when: 'both', description: 'Learning rate used for this optimizer step.' },
  {
    key: 'tokens_per_second',
    when: 'both',
    description: 'Tokens processed per second of wall time in the step (GRPO: sampled plus scored tokens).',
  },
  {
    key: 'device_bytes',
    when: 'both',
    note: 'on WebGPU and WASM',
    description:
      "Device memory the step held at its most, measured: WebGPU's buffers allocated, the pool's kept ones " +
      "included, or WASM's heap (its high-water mark). The plan's step peak is its estimate.",
  },
  {
    key: 'eval_accuracy',
    when: 'eval',
    description:
      'Held-out accuracy after a stage: greedy verdict in the shown order matches the label; unparseable counts wrong.',
  },
  ...CATEGORY_KEYS.map((c) => ({
    key: `eval_accuracy/${c}` as const,
    when: 'eval' as const,
    description: `Held-out accuracy on the ${c} pairs.`,
  })),
  {
    key: 'position_consistency',
    when: 'eval',
    description: 'Fraction of held-out pairs whose verdict names the same response when A and B are swapped.',
  },
  {
    key: 'unparseable',
    when: 'eval',
    description: 'Fraction of held-out judgements with no single closed <answer>[[A]]/[[B]]</answer> (counted wrong).',
  },
] as const satisfies readonly MetricDef[];

export type MetricKey = (typeof METRICS)[number]['key'];

/** The definition of one key (the table is small; a scan is fine). */
export function metricDef(key: MetricKey): MetricDef {
  return METRICS.find((m) => m.key === key) as MetricDef;
}

// Every LoRA setting of a run (run_config.ts's `lora.*` fields) mapped to what the cluster trainers read:
// TRL's `peft_config` (PEFT's LoraConfig, written as peft_config.json for train_grpo.py) and verl's model keys
// (`actor_rollout_ref.model.lora_rank`, `lora_alpha`, `target_modules`; verl builds PEFT's LoraConfig from
// them in fsdp_workers.py). A run with rank 0 trained the whole model: nothing is mapped. The map's type names
// every field, so a new LoRA setting without a mapping does not compile; settings_map.test.ts checks it too.
// Checked against PEFT 0.15's LoraConfig (peft.ts writes its every key) and verl @ b178a3c.
import type { RunConfig } from '../run_config';
import type { Keys, Mapping, Target } from './settings_map';

export type LoraRunSettings = RunConfig['lora'];

const MODEL = 'actor_rollout_ref.model';
const targets = (l: LoraRunSettings) => l.targets.split(',').map((t) => t.trim());

/** Field → TRL's LoraConfig and verl's keys; applied only when lora.rank > 0. */
export const LORA_SETTINGS_MAP: { [K in keyof LoraRunSettings]-?: Record<Target, Mapping<LoraRunSettings>> } = {
  rank: {
    trl: { set: (l) => ({ r: l.rank }), note: 'r: the adapters’ rank.' },
    verl: {
      // verl's vLLM rollout loads the base from safetensors and the adapter beside it (its LoRA guide)
      set: (l) => ({ [`${MODEL}.lora_rank`]: l.rank, 'actor_rollout_ref.rollout.load_format': 'safetensors' }),
      note: 'r; verl’s LoRA needs the rollout to load safetensors.',
    },
  },
  alpha: {
    trl: { set: (l) => ({ lora_alpha: l.alpha }), note: 'α: the update B·A is scaled by α / r.' },
    verl: {
      set: (l) => ({ [`${MODEL}.lora_alpha`]: l.alpha }),
      note: 'α: the update B·A is scaled by α / r.',
      differs: (l) => (l.rslora ? 'verl has no rsLoRA: it scales by α / r, ours by α / √r.' : null),
    },
  },
  dropout: {
    trl: { set: (l) => ({ lora_dropout: l.dropout }), note: 'Dropout on the adapters’ input while training.' },
    verl: { none: 'verl’s LoraConfig leaves lora_dropout at PEFT’s 0 (ours is off in GRPO too)' },
  },
  targets: {
    trl: { set: (l) => ({ target_modules: targets(l) }), note: 'The projections that get adapters.' },
    verl: { set: (l) => ({ [`${MODEL}.target_modules`]: targets(l) }), note: 'The projections that get adapters.' },
  },
  rslora: {
    trl: { set: (l) => ({ use_rslora: l.rslora }), note: 'rsLoRA: scale by α / √r.' },
    verl: { none: 'verl’s LoraConfig has no use_rslora (see lora.alpha)' },
  },
  base: {
    trl: { none: 'the base keeps the dtype the trainer loads it in (model_init_kwargs’ torch_dtype)' },
    verl: { none: 'the base keeps the dtype verl loads it in (its FSDP mixed-precision settings)' },
  },
};

export interface LoraMappedRow {
  field: string; // lora.<name>
  keys: Keys;
  note: string;
  differs: string | null;
}

/** The run's LoRA settings as one target's keys, row by row and merged; none for full fine-tuning. */
export function mapLora(target: Target, l: LoraRunSettings | undefined): { keys: Keys; rows: LoraMappedRow[] } {
  if (!l || l.rank === 0) return { keys: {}, rows: [] };
  const rows = (Object.keys(LORA_SETTINGS_MAP) as (keyof LoraRunSettings)[]).map((name): LoraMappedRow => {
    const m = LORA_SETTINGS_MAP[name][target];
    if ('none' in m) return { field: `lora.${name}`, keys: {}, note: `No equivalent: ${m.none}.`, differs: null };
    return { field: `lora.${name}`, keys: m.set(l), note: m.note, differs: m.differs?.(l) ?? null };
  });
  return { keys: Object.assign({}, ...rows.map((r) => r.keys)), rows };
}

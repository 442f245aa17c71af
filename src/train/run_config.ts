// The run's whole configuration, one defaults object with a "why" per field, and the one field table
// derived from it that parses CLI flags (`--grpo.beta 0.01`) and, later, the URL hash. Unknown keys and
// wrong types are refused. The seed lives here, so a config reproduces a run.
import type { PresetName } from '../engine/config';
import { GRPO_DEFAULTS } from './grpo_run';
import { SFT_DEFAULTS } from './sft';

export const RUN_DEFAULTS = {
  preset: 'tiny' as PresetName, // model size: the default recipe is sized for tiny
  stage: 'both' as 'sft' | 'grpo' | 'both', // distillation, then GRPO (RM-R1's two stages)
  seed: 1, // init, data, sampling
  checkpointEvery: 20, // steps between 'latest' checkpoints, so a failure loses little (0: stage ends only)
  // traced SFT pairs (the paper traced ~12%), label-only GRPO pairs, held-out pairs; difficulty knobs (rm/world.ts)
  world: { nDistill: 600, nGrpo: 2000, nEval: 300, digits: 2, maxConstraints: 3, maxWords: 4 },
  noRubric: false, // ablation: traces without the rubric/solution part
  sft: { ...SFT_DEFAULTS },
  grpo: { ...GRPO_DEFAULTS },
  eval: { samples: 1, temperature: 1, maxCompletionLength: 128, batchSize: 96 }, // 1 sample = greedy; both A/B orders
};

export type RunConfig = typeof RUN_DEFAULTS;

export interface Field { key: string; type: 'number' | 'string' | 'boolean'; default: unknown }

/** Every leaf of the defaults, by dotted key. */
export function fieldTable(obj: object = RUN_DEFAULTS, prefix = ''): Field[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' ? fieldTable(v, `${prefix}${k}.`) : [{ key: prefix + k, type: typeof v as Field['type'], default: v }],
  );
}

const ENUMS: Record<string, readonly string[]> = {
  preset: ['nano', 'tiny', 'small'], stage: ['sft', 'grpo', 'both'], 'sft.schedule': ['cosine', 'constant'], 'grpo.schedule': ['cosine', 'constant'],
  'grpo.scaleRewards': ['group', 'batch', 'none'], 'grpo.lossType': ['token_mean', 'seq_mean_token_mean', 'dr_grpo'],
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
      if (raw.trim() === '' || !Number.isFinite(value)) throw new Error(`Setting "${key}" must be a number (got "${raw}")`);
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

/** The settings that differ from the defaults, as `key=value` strings (for a URL hash or a command line). */
export function diffFromDefaults(cfg: RunConfig): Record<string, string> {
  const now = new Map(fieldTable(cfg).map((f) => [f.key, f.default]));
  return Object.fromEntries(fieldTable().filter((f) => now.get(f.key) !== f.default).map((f) => [f.key, String(now.get(f.key))]));
}

// The settings map covers every GRPO field of the run's field table (a new field without a mapping, or an
// explicit "no equivalent" with a reason, fails here as well as in the type checker), and every key it, the
// fixed settings and the launch script set exists in the trainer: TRL's GRPOConfig fields and verl's
// generated PPO config, snapshotted in testdata/ from the commits the map names. The same for the LoRA
// settings: every `lora.*` field is mapped, to LoraConfig's keys (as PEFT writes them) and verl's model keys.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { peftConfig } from '../../engine/hf/peft';
import { applyOverrides, fieldTable, loraOf, RUN_DEFAULTS } from '../run_config';
import { LORA_SETTINGS_MAP, mapLora } from './lora_map';
import { GRPO_SETTINGS_MAP, mapSettings, type GrpoSettings, type Target } from './settings_map';
import { TRL_FIXED } from './trl';
import { VERL_FIXED, VERL_SCRIPT_KEYS } from './verl';

const known = (file: string) =>
  new Set(
    readFileSync(join(__dirname, 'testdata', file), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#')),
  );
const KNOWN: Record<Target, Set<string>> = {
  trl: known('trl_grpo_config_fields.txt'),
  verl: known('verl_ppo_trainer_keys.txt'),
};

type AnyMap = Record<string, Record<Target, { none?: string; note?: string }> | undefined>;

/** The fields of the field table that the map lacks for a target, or maps to nothing without a reason. */
function unmapped(fields: string[], target: Target, map: AnyMap = GRPO_SETTINGS_MAP as AnyMap): string[] {
  return fields.filter((f) => {
    const m = map[f.slice(f.indexOf('.') + 1)]?.[target];
    return !m || (m.none !== undefined ? m.none.trim() === '' : !m.note?.trim());
  });
}

const grpoFields = fieldTable()
  .map((f) => f.key as string)
  .filter((k) => k.startsWith('grpo.'));

/** The run's settings with every choice of the settings whose mapping branches. */
const VARIANTS: GrpoSettings[] = (
  [
    {},
    { 'grpo.lossType': 'seq_mean_token_mean', 'grpo.scaleRewards': 'batch', 'grpo.schedule': 'cosine' },
    { 'grpo.lossType': 'dr_grpo', 'grpo.scaleRewards': 'none', 'grpo.beta': '0', 'grpo.warmupSteps': '0' },
  ] as Record<string, string>[]
).map((o) => applyOverrides(RUN_DEFAULTS, o).grpo);

describe('the GRPO settings map', () => {
  it('maps every GRPO field of the field table for TRL and verl, or says why there is no equivalent', () => {
    expect(grpoFields.length).toBe(Object.keys(RUN_DEFAULTS.grpo).length);
    for (const target of ['trl', 'verl'] as const) expect(unmapped(grpoFields, target)).toEqual([]);
    // the check itself: a field added to the table without a mapping is named
    expect(unmapped([...grpoFields, 'grpo.newSetting'], 'trl')).toEqual(['grpo.newSetting']);
    expect(Object.keys(GRPO_SETTINGS_MAP).map((k) => `grpo.${k}`)).toEqual(grpoFields); // none extra, same order
  });

  it('sets only keys the trainers have (GRPOConfig @ f2cd577, verl’s config @ b178a3c)', () => {
    for (const target of ['trl', 'verl'] as const) {
      const fixed = (target === 'trl' ? TRL_FIXED : VERL_FIXED).map((f) => f.key);
      const script = target === 'verl' ? VERL_SCRIPT_KEYS.map(([k]) => k) : [];
      const keys = [...VARIANTS.flatMap((g) => Object.keys(mapSettings(target, g).keys)), ...fixed, ...script];
      const unknown = keys.filter((k) => !KNOWN[target].has(k));
      expect(unknown, `${target} keys not in the trainer`).toEqual([]);
      expect(new Set(keys).size).toBeGreaterThan(15);
    }
  });

  it('carries the run’s values: G, the batch, β, the clip, the loss and the schedule', () => {
    const g = applyOverrides(RUN_DEFAULTS, { 'grpo.numGenerations': '7', 'grpo.promptsPerStep': '10' }).grpo;
    const trl = mapSettings('trl', g).keys;
    const verl = mapSettings('verl', g).keys;
    expect(trl).toMatchObject({ num_generations: 7, generation_batch_size: 70, beta: g.beta, loss_type: 'dapo' });
    expect(trl).toMatchObject({ epsilon: g.epsilon, epsilon_high: g.epsilonHigh, learning_rate: g.lr });
    expect(trl).toMatchObject({
      max_completion_length: g.maxCompletionLength,
      lr_scheduler_type: 'constant_with_warmup',
    });
    expect(verl).toMatchObject({
      'actor_rollout_ref.rollout.n': 7,
      'data.train_batch_size': 10,
      'actor_rollout_ref.actor.ppo_mini_batch_size': 10,
      'actor_rollout_ref.actor.use_kl_loss': true,
      'actor_rollout_ref.actor.kl_loss_coef': g.beta,
      'actor_rollout_ref.actor.kl_loss_type': 'low_var_kl',
      'actor_rollout_ref.actor.clip_ratio_low': g.epsilon,
      'actor_rollout_ref.actor.clip_ratio_high': g.epsilonHigh,
      'actor_rollout_ref.actor.loss_agg_mode': 'token-mean',
      'data.max_response_length': g.maxCompletionLength,
      'actor_rollout_ref.actor.optim.lr': g.lr,
    });
    const cosine = mapSettings('trl', { ...g, schedule: 'cosine' }).keys;
    expect(cosine).toMatchObject({
      lr_scheduler_type: 'cosine_with_min_lr',
      lr_scheduler_kwargs: { min_lr_rate: 0.1 },
    });
    const drGrpo = mapSettings('verl', { ...g, lossType: 'dr_grpo', scaleRewards: 'none' });
    expect(drGrpo.keys).toMatchObject({
      'actor_rollout_ref.actor.loss_agg_mode': 'seq-mean-token-sum-norm',
      'actor_rollout_ref.actor.loss_scale_factor': g.maxCompletionLength,
      'algorithm.norm_adv_by_std_in_grpo': false,
    });
    expect(drGrpo.rows.find((r) => r.field === 'grpo.lossType')?.differs).toMatch(/L_max alone/);
  });
});

describe('the LoRA settings map', () => {
  const loraFields = fieldTable()
    .map((f) => f.key as string)
    .filter((k) => k.startsWith('lora.'));
  const lora = applyOverrides(RUN_DEFAULTS, {
    'lora.rank': '8',
    'lora.alpha': '32',
    'lora.dropout': '0.05',
    'lora.targets': 'q_proj,v_proj',
    'lora.rslora': 'true',
  }).lora;

  it('maps every lora.* field of the field table for TRL and verl, or says why there is no equivalent', () => {
    expect(loraFields.length).toBe(Object.keys(RUN_DEFAULTS.lora).length);
    for (const target of ['trl', 'verl'] as const)
      expect(unmapped(loraFields, target, LORA_SETTINGS_MAP as AnyMap)).toEqual([]);
    expect(unmapped([...loraFields, 'lora.newSetting'], 'verl', LORA_SETTINGS_MAP as AnyMap)).toEqual([
      'lora.newSetting',
    ]);
    expect(Object.keys(LORA_SETTINGS_MAP).map((k) => `lora.${k}`)).toEqual(loraFields);
  });

  it('gives TRL the LoraConfig arguments PEFT names, and verl its model keys, with the run’s values', () => {
    const trl = mapLora('trl', lora).keys;
    expect(trl).toEqual({
      r: 8,
      lora_alpha: 32,
      lora_dropout: 0.05,
      target_modules: ['q_proj', 'v_proj'],
      use_rslora: true,
    });
    const peftKeys = new Set(Object.keys(peftConfig(loraOf({ ...RUN_DEFAULTS, lora })!, 'base')));
    expect(Object.keys(trl).filter((k) => !peftKeys.has(k))).toEqual([]);
    const verl = mapLora('verl', lora);
    expect(verl.keys).toEqual({
      'actor_rollout_ref.model.lora_rank': 8,
      'actor_rollout_ref.model.lora_alpha': 32,
      'actor_rollout_ref.model.target_modules': ['q_proj', 'v_proj'],
      'actor_rollout_ref.rollout.load_format': 'safetensors',
    });
    expect(Object.keys(verl.keys).filter((k) => !KNOWN.verl.has(k))).toEqual([]);
    expect(verl.rows.find((r) => r.field === 'lora.alpha')?.differs).toMatch(/no rsLoRA/);
  });

  it('maps nothing for full fine-tuning (rank 0) or a config saved before LoRA existed', () => {
    for (const target of ['trl', 'verl'] as const) {
      expect(mapLora(target, RUN_DEFAULTS.lora)).toEqual({ keys: {}, rows: [] });
      expect(mapLora(target, undefined)).toEqual({ keys: {}, rows: [] });
    }
  });
});

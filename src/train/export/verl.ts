// biome-ignore-all lint/suspicious/noTemplateCurlyInString: bash's ${VAR:-default}, written for the script
// The verl export (volcengine/verl @ b178a3c): GRPO rows in verl's standard schema (data_source, prompt as
// chat messages, ability, reward_model {style, ground_truth}, extra_info) as JSON Lines in `.json` files,
// which verl ≥ 0.7's RLHFDataset reads as they are, and run_grpo.sh: `python3 -m verl.trainer.main_ppo`
// with the run's settings as verl's config keys (settings_map.ts; a LoRA run's adapters, lora_map.ts) and the
// reward wired in.
import type { RunRecord } from '../lab_store';
import { type ExportFile, jsonlFile } from './files';
import { mapLora } from './lora_map';
import { judgeMessages, rmR1Label, type RunData, type ShownPair } from './run_data';
import { mapSettings, type Json, type Keys } from './settings_map';

export const DATA_SOURCE = 'rubric-lab';

/** verl settings that are not fields of ours, each with why (RM-R1's values where it has one). */
export const VERL_FIXED: { key: string; value: Json; why: string }[] = [
  { key: 'algorithm.adv_estimator', value: 'grpo', why: 'GRPO’s group-normalised advantages' },
  { key: 'data.max_prompt_length', value: 4096, why: 'RM-R1’s; longer prompts are left out, as RM-R1 does' },
  { key: 'data.filter_overlong_prompts', value: true, why: 'leave out, do not cut, a prompt over the limit' },
  { key: 'actor_rollout_ref.actor.entropy_coeff', value: 0, why: 'no entropy bonus (RM-R1’s scripts)' },
  { key: 'actor_rollout_ref.rollout.name', value: 'vllm', why: 'the rollout engine RM-R1 used' },
  { key: 'reward_model.use_reward_loop', value: true, why: 'reward.py’s manager is a reward-loop manager' },
  { key: 'reward_model.reward_loop_source', value: 'importlib', why: 'the manager comes from reward.py' },
  { key: 'trainer.project_name', value: 'rubric-lab', why: 'the logger’s project' },
];

export function verlRow({ pair, order }: ShownPair, index: number, split: 'train' | 'test') {
  return {
    data_source: DATA_SOURCE,
    prompt: judgeMessages(pair),
    ability: pair.category ?? 'judge',
    reward_model: { style: 'rule', ground_truth: rmR1Label(pair) },
    extra_info: { split, index, pair_id: pair.id, order, category: pair.category ?? null, subset: pair.subset ?? null },
  };
}

/** verl's config keys for this run: the mapped settings, the fixed ones, and the run's own names. */
export function verlConfig(run: RunRecord): Keys {
  const fixed = Object.fromEntries(VERL_FIXED.map((f) => [f.key, f.value]));
  const saveFreq = run.config.checkpointEvery > 0 ? run.config.checkpointEvery : -1;
  return {
    ...mapSettings('verl', run.config.grpo).keys,
    ...mapLora('verl', run.config.lora).keys,
    ...fixed,
    'trainer.experiment_name': run.id,
    'trainer.save_freq': saveFreq,
  };
}

/** A value as Hydra's override grammar reads it. */
export function hydraValue(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(hydraValue).join(',')}]`;
  if (v === null) return 'null';
  if (typeof v === 'object') throw new Error('hydraValue: a dict value has no one-line override here');
  if (typeof v === 'string') return /^[\w.\-/:]+$/.test(v) ? v : `'${v.replace(/'/g, "\\'")}'`;
  return String(v);
}

/** `key=value` as one single-quoted shell word. */
const shellWord = (key: string, v: Json) => `'${`${key}=${hydraValue(v)}`.replace(/'/g, `'"'"'`)}'`;

export function runGrpoSh(run: RunRecord): string {
  const fixed = Object.entries(verlConfig(run)).map(([k, v]) => `  ${shellWord(k, v)} \\`);
  return [
    '#!/usr/bin/env bash',
    `# Rubric Lab run ${run.id}: its GRPO stage on verl (volcengine/verl @ b178a3c).`,
    '#   MODEL=/path/to/merged-checkpoint bash run_grpo.sh [key=value ...: keys not set below]',
    '# N_GPUS (8), NNODES (1), MICRO_BATCH (4: sequences per GPU per forward) and TP (1: vLLM tensor',
    '# parallel) fit it to the machine; edit a key below to change a setting.',
    'set -euo pipefail',
    'HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"',
    ': "${MODEL:?set MODEL to the merged checkpoint folder (or a Hugging Face model id)}"',
    'python3 -m verl.trainer.main_ppo \\',
    ...fixed,
    ...VERL_SCRIPT_KEYS.map(([k, v]) => `  ${k}=${v} \\`),
    '  "$@"',
    '',
  ].join('\n');
}

export function verlFiles(run: RunRecord, data: RunData): ExportFile[] {
  return [
    jsonlFile(
      'grpo/train.json',
      data.grpoTrain.map((p, i) => verlRow(p, i, 'train')),
    ),
    jsonlFile(
      'grpo/test.json',
      data.grpoTest.map((p, i) => verlRow(p, i, 'test')),
    ),
    { path: 'run_grpo.sh', text: runGrpoSh(run) },
  ];
}

/** The keys run_grpo.sh sets from the machine, the environment and its own folder, with their shell values. */
export const VERL_SCRIPT_KEYS: [string, string][] = [
  ['data.train_files', '"$HERE/grpo/train.json"'],
  ['data.val_files', '"$HERE/grpo/test.json"'],
  ['actor_rollout_ref.model.path', '"$MODEL"'],
  ['custom_reward_function.path', '"$HERE/reward.py"'],
  ['custom_reward_function.name', 'compute_score'],
  ['reward_model.reward_loop_module_path', '"$HERE/reward.py"'],
  ['reward_model.reward_loop_class_name', 'RubricLabRewardLoopManager'],
  ['actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu', '"${MICRO_BATCH:-4}"'],
  ['actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu', '"${MICRO_BATCH:-4}"'],
  ['actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu', '"${MICRO_BATCH:-4}"'],
  ['actor_rollout_ref.rollout.tensor_model_parallel_size', '"${TP:-1}"'],
  ['trainer.n_gpus_per_node', '"${N_GPUS:-8}"'],
  ['trainer.nnodes', '"${NNODES:-1}"'],
];

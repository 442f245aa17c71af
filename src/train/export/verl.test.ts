// The verl launch script: bash accepts it, it sets each key once (Hydra refuses a key given twice), every
// value is in Hydra's override grammar, and it wires reward.py in as both the reward and the manager.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyOverrides, RUN_DEFAULTS } from '../run_config';
import { newRunRecord } from '../run_recorder';
import { hydraValue, runGrpoSh, verlConfig } from './verl';

describe('verl export', () => {
  const run = newRunRecord('run-1', applyOverrides(RUN_DEFAULTS, { 'grpo.lossType': 'dr_grpo' }));
  const sh = runGrpoSh(run);

  it('run_grpo.sh: bash reads it; each key once; reward.py as the reward function and the manager', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-verl-'));
    writeFileSync(join(dir, 'run_grpo.sh'), sh);
    const check = spawnSync('bash', ['-n', join(dir, 'run_grpo.sh')], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    const keys = [...sh.matchAll(/^ {2}'?([\w.]+)=/gm)].map((m) => m[1]);
    expect(keys.length).toBe(new Set(keys).size);
    expect(keys).toEqual(expect.arrayContaining(Object.keys(verlConfig(run))));
    expect(sh).toContain('custom_reward_function.path="$HERE/reward.py"');
    expect(sh).toContain('reward_model.reward_loop_class_name=RubricLabRewardLoopManager');
    expect(sh).toContain("'actor_rollout_ref.actor.loss_agg_mode=seq-mean-token-sum-norm'");
  });

  it('a LoRA run: run_grpo.sh sets the adapters’ rank, alpha and targets once, with the safetensors rollout', () => {
    const lora = newRunRecord('run-2', applyOverrides(RUN_DEFAULTS, { 'lora.rank': '16', 'lora.targets': 'q_proj' }));
    const text = runGrpoSh(lora);
    const keys = [...text.matchAll(/^ {2}'?([\w.]+)=/gm)].map((m) => m[1]);
    expect(keys.length).toBe(new Set(keys).size);
    expect(text).toContain("'actor_rollout_ref.model.lora_rank=16'");
    expect(text).toContain(`'actor_rollout_ref.model.lora_alpha=${lora.config.lora.alpha}'`);
    expect(text).toContain("'actor_rollout_ref.model.target_modules=[q_proj]'");
    expect(text).toContain("'actor_rollout_ref.rollout.load_format=safetensors'");
    expect(sh).not.toContain('lora_rank'); // full fine-tuning
  });

  it('hydraValue: numbers, booleans, lists and quoted strings as Hydra reads them', () => {
    expect([hydraValue(1e-6), hydraValue(true), hydraValue([0.9, 0.99]), hydraValue(null)]).toEqual([
      '0.000001',
      'true',
      '[0.9,0.99]',
      'null',
    ]);
    expect([hydraValue('token-mean'), hydraValue("it's a b")]).toEqual(['token-mean', "'it\\'s a b'"]);
  });
});

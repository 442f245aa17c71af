// The TRL launcher: train_grpo.py compiles under python3, and its batch arithmetic gives one optimizer step
// per generation batch (per-device batch × processes × accumulation = prompts × G) or refuses a split that
// does not divide, naming the numbers. GRPOConfig itself is not available here (no TRL on this machine).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyOverrides, RUN_DEFAULTS } from '../run_config';
import { newRunRecord } from '../run_recorder';
import { rewardPy } from './reward_py';
import { readme } from './readme';
import type { RunData } from './run_data';
import { TRAIN_GRPO_PY, trlConfig, trlPeftFiles } from './trl';

const hasPython = spawnSync('python3', ['--version']).status === 0;
if (!hasPython) console.warn('trl.test: python3 checks skipped, python3 is not on this machine');

const NO_DATA: RunData = { grpoTrain: [], grpoTest: [], sftTrain: [], sftTest: [], notes: [] };

describe('TRL export', () => {
  it('grpo_config.json: the mapped settings with the fixed ones, nothing that depends on the machine', () => {
    const cfg = trlConfig(newRunRecord('r', RUN_DEFAULTS));
    const g = RUN_DEFAULTS.grpo;
    expect(cfg).toMatchObject({ generation_batch_size: g.promptsPerStep * g.numGenerations });
    expect(cfg).toMatchObject({ mask_truncated_completions: false, remove_unused_columns: false });
    for (const machine of ['per_device_train_batch_size', 'gradient_accumulation_steps', 'output_dir'])
      expect(cfg).not.toHaveProperty(machine);
  });

  it('a LoRA run: peft_config.json holds its LoraConfig, the README starts from the merged checkpoint with it', () => {
    const config = applyOverrides(RUN_DEFAULTS, { 'lora.rank': '4', 'lora.targets': 'q_proj,k_proj' });
    const run = newRunRecord('r', config);
    const [peft] = trlPeftFiles(run);
    expect(peft.path).toBe('peft_config.json');
    expect(JSON.parse(peft.text)).toEqual({
      r: 4,
      lora_alpha: config.lora.alpha,
      lora_dropout: config.lora.dropout,
      target_modules: ['q_proj', 'k_proj'],
      use_rslora: false,
    });
    const text = readme('trl', run, NO_DATA);
    expect(text).toContain('`peft_config.json`');
    expect(text).toContain('| `lora.rank` | `r=4` |');
    expect(TRAIN_GRPO_PY).toContain('peft_config=peft_config');
    // full fine-tuning: no peft_config.json, no LoRA rows
    expect(trlPeftFiles(newRunRecord('f', RUN_DEFAULTS))).toEqual([]);
    expect(readme('trl', newRunRecord('f', RUN_DEFAULTS), NO_DATA)).not.toContain('lora.rank');
  });

  it.skipIf(!hasPython)('train_grpo.py compiles and splits the step into processes × accumulation', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-trl-'));
    writeFileSync(join(dir, 'train_grpo.py'), TRAIN_GRPO_PY);
    writeFileSync(join(dir, 'reward.py'), rewardPy());
    const compile = spawnSync('python3', ['-m', 'py_compile', join(dir, 'train_grpo.py'), join(dir, 'reward.py')], {
      encoding: 'utf8',
    });
    expect(compile.status, compile.stderr).toBe(0);
    const py = (expr: string) =>
      spawnSync(
        'python3',
        ['-c', `import sys; sys.path.insert(0, ${JSON.stringify(dir)}); import train_grpo; ${expr}`],
        {
          encoding: 'utf8',
        },
      );
    expect(py('print(train_grpo.accumulation(192, 6, 8), train_grpo.accumulation(192, 12, 1))').stdout.trim()).toBe(
      '4 16',
    );
    const refused = py('train_grpo.accumulation(192, 6, 5)');
    expect(refused.status).toBe(1);
    expect(refused.stderr.trim()).toBe(
      '192 completions per step do not split into 5 processes x 6 per device: pick a --per-device-batch that ' +
        'divides 38',
    );
  });
});

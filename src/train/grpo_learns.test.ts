// GRPO really learns: from the nano judge fixture, GRPO on four fixed pairs (each step judges the same
// four, G = 6 each) raises the mean reward within a few steps. A sign error in the surrogate, advantages
// paired with the wrong judgements, or an update that never reaches the weights leaves it flat or
// makes it fall. The same with LoRA adapters on every projection: reward rises although only the adapters
// train, the base weights end bit for bit as they began, AdamW holds moments for the adapters alone and
// π_ref is the policy with its adapters off (no copy). Seeded, on WASM: the same numbers every run.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { modelFromFiles } from '../engine/checkpoint';
import { loadCheckpointDir } from '../engine/checkpoint_node';
import { addLora, LORA_TARGETS, loraParams } from '../engine/lora';
import { switchTestBackend } from '../engine/test_backends';
import { makeSplits } from '../rm/world';
import { createGrpoRun } from './grpo_run';
import { worldOptions } from './pipeline';
import { applyOverrides, RUN_DEFAULTS } from './run_config';

describe('GRPO learns (nano fixture, WASM)', () => {
  beforeAll(() => switchTestBackend('wasm'));

  it('on four fixed pairs the mean reward of steps 5–7 beats that of steps 1–2 by at least 0.4', async () => {
    const run = applyOverrides(RUN_DEFAULTS, {
      'grpo.lr': '3e-3',
      'grpo.steps': '7',
      'grpo.promptsPerStep': '4',
      'grpo.numGenerations': '6',
      'grpo.bothOrders': 'false',
    });
    const { params, cfg, tok } = modelFromFiles(await loadCheckpointDir('e2e/fixtures/nano-judge'));
    const pairs = makeSplits(worldOptions(run)).grpo.slice(0, 4);
    const grpo = createGrpoRun(params, cfg, tok, run.grpo, pairs);
    const rewards: number[] = [];
    while (!grpo.done()) rewards.push((await grpo.step()).metrics.reward);
    grpo.dispose();
    tf.dispose(Object.values(params));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const early = mean(rewards.slice(0, 2)),
      late = mean(rewards.slice(4));
    console.log(`GRPO on 4 fixed pairs, reward per step: ${rewards.map((r) => r.toFixed(2)).join(', ')}`);
    expect(late - early, `rewards ${rewards.join(', ')}`).toBeGreaterThanOrEqual(0.4);
  }, 300_000);

  it('with LoRA (r = 8) the same: reward rises, the base is untouched, no reference copy', async () => {
    const run = applyOverrides(RUN_DEFAULTS, {
      'grpo.lr': '1e-2',
      'grpo.steps': '7',
      'grpo.promptsPerStep': '4',
      'grpo.numGenerations': '6',
      'grpo.bothOrders': 'false',
    });
    const { params, cfg, tok } = modelFromFiles(await loadCheckpointDir('e2e/fixtures/nano-judge'));
    const baseBefore = await Promise.all(Object.values(params).map((v) => v.data()));
    const adapters = addLora(params, cfg, { rank: 8, alpha: 16, dropout: 0, targets: LORA_TARGETS, rslora: false });
    const pairs = makeSplits(worldOptions(run)).grpo.slice(0, 4);
    const grpo = createGrpoRun(params, cfg, tok, run.grpo, pairs);
    expect(grpo.models.reference).toBeNull();
    expect(Object.keys(grpo.models.optimizer.state().m).sort()).toEqual(Object.keys(adapters).sort());
    const rewards: number[] = [];
    while (!grpo.done()) rewards.push((await grpo.step()).metrics.reward);
    grpo.dispose();
    const base = Object.values(params).filter((v) => !Object.values(loraParams(params)).includes(v));
    const baseAfter = await Promise.all(base.map((v) => v.data()));
    baseAfter.forEach((d, i) => expect(Array.from(d)).toEqual(Array.from(baseBefore[i])));
    tf.dispose(Object.values(params));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const early = mean(rewards.slice(0, 2)),
      late = mean(rewards.slice(4));
    console.log(`LoRA GRPO on 4 fixed pairs, reward per step: ${rewards.map((r) => r.toFixed(2)).join(', ')}`);
    expect(late - early, `rewards ${rewards.join(', ')}`).toBeGreaterThanOrEqual(0.4);
  }, 300_000);
});

// One GRPO step on nano, stage by stage: G judgements per prompt; rewards and group advantages (sum 0 in
// a non-degenerate group, exactly 0 in a zero-variance one); at the first update the policy equals the
// sampler and the reference, so ρ = 1 and KL = 0 (this checks the sampler's log-probs against the
// training forward at the sampling temperature); one readback per update; an update with signed
// advantages raises the log-probability of the favoured judgements and lowers the others; no leaks.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from '../engine/config';
import { installCounters } from '../engine/instrument';
import { initParams } from '../engine/model';
import { defaultTokenizer } from '../engine/tokenizer';
import { useBackend } from '../engine/test_backends';
import { makeSplits } from '../rm/world';
import { advantageStage, sampleStage, scoreStage, sequenceLogps, updateStage, type GrpoConfig } from './grpo_step';
import { createGrpoRun, GRPO_DEFAULTS } from './grpo_run';

const tok = defaultTokenizer();
const cfg = presetConfig('nano', { vocab_size: tok.vocabSize, bos_token_id: tok.bosId, eos_token_id: tok.eosId, pad_token_id: tok.padId, max_position_embeddings: 160 });
const pairs = makeSplits({ seed: 3, nDistill: 0, nGrpo: 6, nEval: 0 }).grpo;
const g: GrpoConfig = { ...GRPO_DEFAULTS, numGenerations: 3, promptsPerStep: 2, maxCompletionLength: 12, temperature: 1.3, beta: 0.04 };

describe('GRPO step stages (nano, WASM)', () => {
  beforeAll(() => useBackend('wasm'));

  it('samples G per prompt, scores, normalises per group; first update has ρ = 1, KL = 0 and one readback', async () => {
    const run = createGrpoRun(initParams(cfg, 1), cfg, tok, { ...GRPO_DEFAULTS, ...g, steps: 3 }, pairs);
    const m = run.models;
    const s = await sampleStage(m, g, pairs.slice(0, 2), 7);
    expect(s.completions.map((c) => c.group)).toEqual([0, 0, 0, 1, 1, 1]);
    const sc = scoreStage(s);
    expect(sc.rewards.every((r) => r === 1 || r === -1)).toBe(true);
    // a random model writes no verdict: every reward −1, zero variance, zero advantage
    const a = advantageStage(s, sc, g);
    expect(a.groups.every((x) => x.zeroStd && x.advantages.every((v) => v === 0))).toBe(true);
    const counters = installCounters();
    counters.reset();
    const u = await updateStage(m, g, s, a, 1e-3);
    const readbacks = counters.counts.readbacks;
    counters.uninstall();
    expect(readbacks).toBe(1);
    for (let i = 0; i < s.completions.length; i++) {
      for (let t = 0; t < s.completions[i].tokens.length; t++) {
        expect(Math.abs(u.ratio[i][t] - 1)).toBeLessThan(1e-4);
        expect(u.kl[i][t]).toBeLessThan(1e-6);
      }
    }
    run.dispose();
  });

  it('signed advantages move log-probability the right way; groups with mixed rewards sum to 0', async () => {
    const run = createGrpoRun(initParams(cfg, 2), cfg, tok, { ...GRPO_DEFAULTS, ...g, steps: 3 }, pairs);
    const m = run.models;
    const s = await sampleStage(m, g, pairs.slice(0, 2), 9);
    const sc = { ...scoreStage(s), rewards: [1, -1, -1, 1, 1, -1] }; // as if some judgements were right
    const a = advantageStage(s, sc, g);
    for (const grp of a.groups) expect(Math.abs(grp.advantages.reduce((x, y) => x + y, 0))).toBeLessThan(1e-9);
    const before = await sequenceLogps(m, g, s);
    await updateStage(m, { ...g, beta: 0 }, s, a, 5e-3);
    const after = await sequenceLogps(m, g, s);
    a.advantages.forEach((A, i) => (A > 0 ? expect(after[i]).toBeGreaterThan(before[i]) : expect(after[i]).toBeLessThan(before[i])));
    run.dispose();
  });

  it('tensors are flat across GRPO steps', async () => {
    const run = createGrpoRun(initParams(cfg, 4), cfg, tok, { ...GRPO_DEFAULTS, ...g, steps: 3 }, pairs);
    await run.step();
    const n = tf.memory().numTensors;
    await run.step();
    await run.step();
    expect(tf.memory().numTensors).toBe(n);
    run.dispose();
  });
});

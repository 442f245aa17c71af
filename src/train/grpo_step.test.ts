// One GRPO step on nano, stage by stage: G judgements per prompt; rewards and group advantages (sum 0 in
// a non-degenerate group, exactly 0 in a zero-variance one); at the first update the policy equals the
// sampler and the reference, so ρ = 1 and KL = 0 (this checks the sampler's log-probs against the
// training forward at the sampling temperature); one readback per update; an update with signed
// advantages raises the log-probability of the favoured judgements and lowers the others; no leaks. The
// advantage stage reports the std it divided by: the batch's under scaleRewards 'batch', the group's under
// 'group', none under 'none' (checked against src/rm/testdata/grpo_vectors.json, tolerance 1e-9). On WebGPU
// the step empties the buffer pool after sampling, so the loss pass does not hold sampling's buffers too.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from '../engine/config';
import { gpuPoolFreeBytes, trimGpuPool } from '../engine/gpu_pool';
import { installCounters } from '../engine/instrument';
import { initParams } from '../engine/model';
import { defaultTokenizer } from '../engine/tokenizer';
import { switchTestBackend, testBackends } from '../engine/test_backends';
import type { Verdict } from '../rm/cor_parser';
import type { ScaleRewards } from '../rm/grpo';
import type { Pair } from '../rm/pair';
import { makeSplits } from '../rm/world';
import { prepareLoss } from './grpo_batch';
import { advantageStage, sampleStage, scoreStage } from './grpo_step';
import type { GrpoConfig, SampleStage, ScoreStage, StageName } from './grpo_types';
import { applyUpdate, lossStage, sequenceLogps } from './grpo_update';
import { createGrpoRun, GRPO_DEFAULTS } from './grpo_run';

const tok = defaultTokenizer();
const cfg = presetConfig(
  'nano',
  { vocab_size: tok.vocabSize, bos_token_id: tok.bosId, eos_token_id: tok.eosId, pad_token_id: tok.padId },
  { max_position_embeddings: 160 },
);
const pairs = makeSplits({ seed: 3, nDistill: 0, nGrpo: 6, nEval: 0 }).grpo;
const g: GrpoConfig = {
  ...GRPO_DEFAULTS,
  numGenerations: 3,
  promptsPerStep: 2,
  maxCompletionLength: 12,
  temperature: 1.3,
  beta: 0.04,
};

describe('GRPO step stages (nano, WASM)', () => {
  beforeAll(() => switchTestBackend('wasm'));

  it('samples G per prompt, scores, normalises per group; first update: ρ = 1, KL = 0, one readback', async () => {
    const run = createGrpoRun(initParams(cfg, 1), cfg, tok, { ...GRPO_DEFAULTS, ...g, steps: 3 }, pairs);
    const m = run.models;
    const s = await sampleStage(m, g, pairs.slice(0, 2), 7);
    expect(s.completions.map((c) => c.group)).toEqual([0, 0, 0, 1, 1, 1]);
    const sc = scoreStage(s);
    expect(sc.rewards.every((r) => r === 1 || r === -1)).toBe(true);
    // a random model writes no verdict: every reward −1, zero variance, zero advantage
    const a = advantageStage(s, sc, g);
    expect(a.groups.every((x) => x.zeroStd && x.advantages.every((v) => v === 0))).toBe(true);
    const inputs = prepareLoss(m, g, s, a);
    const counters = installCounters();
    counters.reset();
    const { report: u, grads } = await lossStage(m, g, inputs, a, 0);
    applyUpdate(m, grads, 1e-3);
    const readbacks = counters.counts.readbacks;
    counters.uninstall();
    inputs.dispose();
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
    const g0 = { ...g, beta: 0 };
    const inputs = prepareLoss(m, g0, s, a);
    applyUpdate(m, (await lossStage(m, g0, inputs, a, 0)).grads, 5e-3);
    inputs.dispose();
    const after = await sequenceLogps(m, g, s);
    a.advantages.forEach((A, i) =>
      A > 0 ? expect(after[i]).toBeGreaterThan(before[i]) : expect(after[i]).toBeLessThan(before[i]),
    );
    run.dispose();
  });

  it(
    'a staged step runs sample → score → advantages → (loss → update) × μ, reports what changed, and frees an ' +
      'abandoned step',
    async () => {
      const run = createGrpoRun(
        initParams(cfg, 5),
        cfg,
        tok,
        { ...GRPO_DEFAULTS, ...g, numIterations: 2, steps: 3, weightDecay: 0.5 },
        pairs,
      );
      const staged = run.begin(true);
      const stages: StageName[] = [];
      expect(() => staged.report()).toThrow(/not complete/);
      while (staged.nextStage() !== null) {
        const out = await staged.next();
        stages.push(out.stage);
        if (out.stage === 'update') {
          expect(out.update.logpAfter).toHaveLength(out.update.logpBefore.length);
          expect(out.update.logpAfter!.some((v, i) => v !== out.update.logpBefore[i])).toBe(true);
        }
      }
      expect(stages).toEqual(['sample', 'score', 'advantages', 'loss', 'update', 'loss', 'update']);
      const r = staged.report();
      expect(r.losses.map((l) => l.iteration)).toEqual([0, 1]);
      expect(r.ref_per_token_logps).toHaveLength(r.sample.completions.length);
      // the second iteration's ℓp_old is the sampler's, so after one update (weight decay moves an untrained
      // policy) ρ is off 1
      expect(r.losses[1].ratio.flat().some((x) => Math.abs(x - 1) > 1e-6)).toBe(true);
      expect(r.updates[0].logpBefore).toEqual(
        r.losses[0].per_token_logps.map((row, i) =>
          row.reduce((acc, v, t) => acc + (t < r.sample.completions[i].tokens.length ? v : 0), 0),
        ),
      );
      await expect(staged.next()).rejects.toThrow(/complete/);

      const n = tf.memory().numTensors;
      const abandoned = run.begin();
      for (let i = 0; i < 4; i++) await abandoned.next(); // through the loss: gradients wait on the device
      expect(tf.memory().numTensors).toBeGreaterThan(n);
      abandoned.dispose();
      expect(tf.memory().numTensors).toBe(n);
      run.dispose();
    },
  );

  it('tensors are flat across GRPO steps', async () => {
    const run = createGrpoRun(initParams(cfg, 4), cfg, tok, { ...GRPO_DEFAULTS, ...g, steps: 3 }, pairs);
    await run.step();
    const n = tf.memory().numTensors;
    await run.step();
    await run.step();
    expect(tf.memory().numTensors).toBe(n);
    run.dispose();
  });

  it('both orders: a step judges each of its pairs as given and swapped; an odd batch is refused', async () => {
    const both = {
      ...GRPO_DEFAULTS,
      ...g,
      promptsPerStep: 4,
      numGenerations: 2,
      maxCompletionLength: 4,
      steps: 2,
      bothOrders: true,
    };
    expect(() => createGrpoRun(initParams(cfg, 6), cfg, tok, { ...both, promptsPerStep: 3 }, pairs)).toThrow(
      /even number/,
    );
    const run = createGrpoRun(initParams(cfg, 6), cfg, tok, both, pairs);
    const staged = run.begin(false);
    const out = await staged.next();
    if (out.stage !== 'sample') throw new Error(`first stage was ${out.stage}`);
    const [a, b, sa, sb] = out.sample.pairs;
    expect(new Set([a.id, b.id]).size).toBe(2);
    for (const [p, s] of [
      [a, sa],
      [b, sb],
    ]) {
      expect([s.a, s.b, s.winner]).toEqual([p.b, p.a, p.winner === 'A' ? 'B' : 'A']);
      expect(s.prompt).toBe(p.prompt);
    }
    staged.dispose();
    run.dispose();
  });
});

describe.runIf((await testBackends()).includes('webgpu'))('GRPO step stages (nano, WebGPU)', () => {
  beforeAll(() => switchTestBackend('webgpu'));

  it("gives sampling's buffers back before the loss", async () => {
    const run = createGrpoRun(initParams(cfg, 1), cfg, tok, { ...GRPO_DEFAULTS, ...g, steps: 2 }, pairs);
    await run.step(); // the first step fills the pool
    const staged = run.begin(false);
    await staged.next(); // sample
    expect(staged.nextStage()).toBe('score');
    expect(gpuPoolFreeBytes()).toBe(0);
    while (staged.nextStage() !== null) await staged.next();
    run.dispose();
    trimGpuPool(0);
    await switchTestBackend('wasm');
  });
});

describe('advantage stage: the std it divided by (testdata/grpo_vectors.json)', () => {
  type Stats = { mean: number; std_unbiased: number };
  const v = JSON.parse(readFileSync(new URL('../rm/testdata/grpo_vectors.json', import.meta.url), 'utf8')) as {
    inputs: { groups: { id: string; rewards: number[] }[] };
    group_stats: Record<string, Stats>;
    cases: { on_policy_mu1: { by_std_mode: Record<string, { advantages: number[] }> } };
  };
  const groups = v.inputs.groups; // A: 3 of 4 right, B: all wrong, C: 1 of 2
  const sample: SampleStage = {
    pairs: groups.map((grp): Pair => ({ id: grp.id, prompt: '', a: '', b: '', winner: 'A', source: 'test' })),
    promptIds: groups.map(() => [1]),
    completions: groups.flatMap((grp, k) =>
      grp.rewards.map(() => ({ group: k, tokens: [], pieces: [], logps: [], text: '', stopReason: 'eos' as const })),
    ),
  };
  const rewards = groups.flatMap((grp) => grp.rewards);
  const score: ScoreStage = {
    verdicts: rewards.map((r): Verdict => (r > 0 ? 'A' : 'B')),
    rewards,
    labels: groups.map((): Verdict => 'A'),
  };
  const near = (got: number | null, want: number, what: string) =>
    expect(Math.abs((got ?? Number.NaN) - want), `${what}: ${got} vs ${want}`).toBeLessThan(1e-9);
  const stage = (scaleRewards: ScaleRewards) => advantageStage(sample, score, { ...g, scaleRewards });
  const mode: Record<ScaleRewards, string> = { group: 'unbiased', batch: 'batch', none: 'none' };

  for (const scaleRewards of ['group', 'batch', 'none'] as const)
    it(`scaleRewards '${scaleRewards}'`, () => {
      const a = stage(scaleRewards);
      expect(a.scaleRewards).toBe(scaleRewards);
      a.groups.forEach((grp, k) => {
        const want = v.group_stats[groups[k].id];
        near(grp.mean, want.mean, `${groups[k].id} mean`);
        near(grp.std, want.std_unbiased, `${groups[k].id} own std`);
        if (scaleRewards === 'none') expect(grp.scaledBy).toBeNull();
        else
          near(grp.scaledBy, scaleRewards === 'batch' ? v.group_stats._batch.std_unbiased : want.std_unbiased, 'used');
        expect(grp.zeroStd).toBe(groups[k].id === 'B');
      });
      a.advantages.forEach((x, i) => near(x, v.cases.on_policy_mu1.by_std_mode[mode[scaleRewards]].advantages[i], 'A'));
    });
});

// What must hold for GRPO's math: every number in testdata/grpo_vectors.json (advantages under four
// std conventions, per-token ratio / clipped objective / clip flag / k3 / per-token loss, losses under six
// aggregations at β = 0.04 and β = 0, per-token gradients) and hand-computed cases that run anywhere.
// Tolerance: |got − want| ≤ 1e-5·|want| + 1e-9 (the floor covers values that are 0 in exact arithmetic,
// e.g. the on-policy seq-mean policy loss). The analytic gradient is also checked by central differences.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createRng } from './rng';
import {
  grpoLoss,
  groupAdvantages,
  groupStats,
  k3,
  k3Grad,
  std,
  tokenTerm,
  verdictReward,
  type AdvantageOptions,
  type GrpoInputs,
  type LossType,
  type Rows,
} from './grpo';
import { policyMetrics } from './grpo_metrics';

const REL = 1e-5,
  ABS = 1e-9;
let worst = 0; // largest relative error seen, printed at the end of each vector case
function near(got: number, want: number, what: string): void {
  const err = Math.abs(got - want);
  worst = Math.max(worst, err / Math.max(Math.abs(want), ABS));
  if (!(err <= REL * Math.abs(want) + ABS)) expect.fail(`${what}: got ${got}, want ${want} (diff ${err})`);
}
function nearRows(got: Rows, want: Rows, what: string): void {
  expect(got.length).toBe(want.length);
  want.forEach((row, i) => row.forEach((w, t) => near(got[i][t], w, `${what}[${i}][${t}]`)));
}

// ---------------------------------------------------------------------------------------------------
// The vectors' shape (the project's copy: testdata/grpo_vectors.json, written by testdata/grpo_vectors.py)
// ---------------------------------------------------------------------------------------------------
interface SeqIn {
  group: string;
  reward: number;
  mask: number[];
  old_logp: number[];
  ref_logp: number[];
  logp_after_update: number[];
}
interface PerSeq {
  advantage: number;
  ratio: (number | null)[];
  clipped_objective: (number | null)[];
  min_picked_clipped_branch: (boolean | null)[];
  kl_k3: (number | null)[];
}
interface LossRow {
  policy_term: number;
  kl_term_k3_mean: number;
  'loss_beta_0.04': number;
  loss_beta_0: number;
}
interface ModeResult {
  advantages: number[];
  per_sequence: PerSeq[];
  num_tokens_where_min_picked_clipped_branch: number;
  losses: Record<LossType, LossRow>;
  'grad_loss_wrt_logp_beta_0.04'?: Record<LossType, number[][]>;
}
interface Vectors {
  meta: { std_eps: number; beta: number; max_completion_length_L: number };
  inputs: { groups: { id: string; rewards: number[] }[]; sequences: SeqIn[] };
  group_stats: Record<string, { mean: number; std_unbiased: number; std_population: number }>;
  advantages_by_std_eps_unbiased: Record<string, number[]>;
  kl_estimators_seq0_after_update: { logp: number; ref_logp: number; k3_low_var_kl: number }[];
  cases: Record<
    string,
    {
      config: { logp_source: 'old_logp' | 'logp_after_update'; eps_low: number; eps_high: number };
      by_std_mode: Record<string, ModeResult>;
      'token_mean_loss_beta_0.04_without_group_B'?: number;
    }
  >;
  tiny_case: {
    advantages: number[];
    loss: number;
    grad_finite_difference: number[];
    tokens: {
      seq: number;
      t: number;
      logp: number;
      ref_logp: number;
      k3: number;
      per_token_loss: number;
      grad: number;
    }[];
  };
}

// The project's own copy of the spec's vectors (testdata/README.md says where they come from).
const here = path.dirname(fileURLToPath(import.meta.url));
const v = JSON.parse(readFileSync(path.join(here, 'testdata/grpo_vectors.json'), 'utf8')) as Vectors;

const STD_MODES: Record<string, AdvantageOptions> = {
  unbiased: { scaleRewards: 'group' },
  population: { scaleRewards: 'group', unbiased: false },
  none: { scaleRewards: 'none' },
  batch: { scaleRewards: 'batch' },
};
const LOSS_TYPES: LossType[] = [
  'token_mean',
  'seq_mean_token_mean',
  'dr_grpo',
  'group_mean_seq_mean',
  'seq_mean_token_sum',
  'verl_seq_mean_token_sum_norm',
];

function vectorInputs(v: Vectors, source: 'old_logp' | 'logp_after_update', advantages: number[]): GrpoInputs {
  const s = v.inputs.sequences;
  return {
    per_token_logps: s.map((q) => [...q[source]]), // μ = 1: the same numbers as old, a detached copy
    old_per_token_logps: s.map((q) => q.old_logp),
    ref_per_token_logps: s.map((q) => q.ref_logp),
    completion_mask: s.map((q) => q.mask),
    advantages,
  };
}

describe('testdata/grpo_vectors.json: the worked GRPO numbers', () => {
  const rewards = v.inputs.groups.map((g) => g.rewards);
  const groupSizes = rewards.map((r) => r.length);
  const L = v.meta.max_completion_length_L;

  it('inputs: sequences are the groups flattened in order (what groupSizes assumes)', () => {
    expect(v.inputs.sequences.map((s) => s.reward)).toEqual(rewards.flat());
    expect(v.inputs.sequences.map((s) => s.group)).toEqual(v.inputs.groups.flatMap((g) => g.rewards.map(() => g.id)));
  });

  it('group_stats: unbiased and population σ per group and over the batch', () => {
    v.inputs.groups.forEach((g) => {
      near(std(g.rewards), v.group_stats[g.id].std_unbiased, `${g.id} unbiased`);
      near(std(g.rewards, false), v.group_stats[g.id].std_population, `${g.id} population`);
    });
    near(std(rewards.flat()), v.group_stats._batch.std_unbiased, 'batch unbiased');
  });

  it('groupStats: per group the mean and σ, and the σ its advantages were divided by in each std mode', () => {
    const want = v.group_stats,
      ids = v.inputs.groups.map((g) => g.id);
    const check = (opts: AdvantageOptions, scaledBy: (id: string) => number | null, std: (id: string) => number) =>
      groupStats(rewards, opts).forEach((s, k) => {
        const what = `${opts.scaleRewards}${opts.unbiased === false ? ' population' : ''} ${ids[k]}`;
        near(s.mean, want[ids[k]].mean, `${what} mean`);
        near(s.std, std(ids[k]), `${what} std`);
        const used = scaledBy(ids[k]);
        if (used === null) expect(s.scaledBy, what).toBeNull();
        else near(s.scaledBy ?? Number.NaN, used, `${what} scaledBy`);
      });
    const unbiased = (id: string) => want[id].std_unbiased;
    check({ scaleRewards: 'group' }, unbiased, unbiased);
    check({ scaleRewards: 'batch' }, () => want._batch.std_unbiased, unbiased); // every group: the batch σ
    check({ scaleRewards: 'none' }, () => null, unbiased);
    const population = (id: string) => want[id].std_population;
    check({ scaleRewards: 'group', unbiased: false }, population, population);
    // the advantages are (r − mean) / (scaledBy + eps) with those very numbers
    for (const [mode, opts] of Object.entries(STD_MODES)) {
      const stats = groupStats(rewards, opts);
      const byHand = rewards.flatMap((r, k) =>
        r.map((x) => {
          const { mean, scaledBy } = stats[k];
          return scaledBy === null ? x - mean : (x - mean) / (scaledBy + v.meta.std_eps);
        }),
      );
      byHand.forEach((a, i) => near(a, v.cases.on_policy_mu1.by_std_mode[mode].advantages[i], `${mode} A[${i}]`));
    }
  });

  it('advantages_by_std_eps_unbiased: the eps of TRL, verl, oat and OpenRLHF', () => {
    const eps: Record<string, number> = {
      'trl_1e-4': 1e-4,
      'verl_1e-6': 1e-6,
      'oat_drgrpo_repo_1e-8': 1e-8,
      'openrlhf_1e-9': 1e-9,
    };
    for (const [label, want] of Object.entries(v.advantages_by_std_eps_unbiased)) {
      expect(eps[label], label).toBeDefined();
      groupAdvantages(rewards, { eps: eps[label] })
        .flat()
        .forEach((a, i) => near(a, want[i], `${label}[${i}]`));
    }
  });

  it('kl_estimators_seq0_after_update: k3 on three tokens', () => {
    for (const e of v.kl_estimators_seq0_after_update) near(k3(e.logp, e.ref_logp), e.k3_low_var_kl, `k3(${e.logp})`);
  });

  for (const [name, c] of Object.entries(v.cases)) {
    describe(name, () => {
      for (const [mode, want] of Object.entries(c.by_std_mode)) {
        it(
          `${name} / std ${mode}: advantages, per-token terms, ` +
            `losses${want['grad_loss_wrt_logp_beta_0.04'] ? ', gradients' : ''}`,
          () => {
            worst = 0;
            const adv = groupAdvantages(rewards, STD_MODES[mode]).flat();
            adv.forEach((a, i) => near(a, want.advantages[i], `advantage[${i}]`));
            const x = vectorInputs(v, c.config.logp_source, adv);
            const clip = { epsilonLow: c.config.eps_low, epsilonHigh: c.config.eps_high };
            for (const lossType of LOSS_TYPES) {
              const cfg = { ...clip, lossType, maxCompletionLength: L, groupSizes };
              const r = grpoLoss(x, { ...cfg, beta: v.meta.beta });
              const l = want.losses[lossType];
              near(r.policy_loss, l.policy_term, `${lossType} policy_term`);
              near(r.kl_loss, l.kl_term_k3_mean, `${lossType} kl_term`);
              near(r.loss, l['loss_beta_0.04'], `${lossType} loss β=0.04`);
              near(grpoLoss(x, { ...cfg, beta: 0 }).loss, l.loss_beta_0, `${lossType} loss β=0`);
              const g = want['grad_loss_wrt_logp_beta_0.04']?.[lossType];
              if (g) nearRows(r.grad, g, `${lossType} grad`);
            }
            const { terms } = grpoLoss(x, {
              ...clip,
              beta: v.meta.beta,
              lossType: 'token_mean',
              maxCompletionLength: L,
            });
            let clipped = 0,
              tokens = 0;
            want.per_sequence.forEach((s, i) =>
              s.ratio.forEach((rho, t) => {
                const tt = terms[i][t];
                if (rho === null) return expect(x.completion_mask[i][t]).toBe(0);
                tokens += 1;
                near(tt.coef_1, rho, `ratio[${i}][${t}]`);
                near(
                  tt.coef_2,
                  Math.min(Math.max(rho, 1 - clip.epsilonLow), 1 + clip.epsilonHigh),
                  `coef_2[${i}][${t}]`,
                );
                near(tt.clipped_objective, s.clipped_objective[t]!, `clipped_objective[${i}][${t}]`);
                near(tt.per_token_kl, s.kl_k3[t]!, `kl_k3[${i}][${t}]`);
                near(
                  tt.per_token_loss,
                  -s.clipped_objective[t]! + v.meta.beta * s.kl_k3[t]!,
                  `per_token_loss[${i}][${t}]`,
                );
                expect(tt.is_low_clipped || tt.is_high_clipped, `clip flag [${i}][${t}]`).toBe(
                  s.min_picked_clipped_branch[t],
                );
                clipped += +(tt.is_low_clipped || tt.is_high_clipped);
              }),
            );
            expect(clipped).toBe(want.num_tokens_where_min_picked_clipped_branch);
            near(
              policyMetrics(terms, x.completion_mask, v.meta.beta)['clip_ratio/region_mean'],
              clipped / tokens,
              'region_mean',
            );
            console.log(`${name} / ${mode}: max relative error ${worst.toExponential(2)}`);
          },
        );
      }
      const dropB = c['token_mean_loss_beta_0.04_without_group_B'];
      if (dropB !== undefined) {
        it(`${name} / dynamic sampling: token_mean loss without the all-equal group B`, () => {
          const adv = groupAdvantages(rewards).flat();
          const keep = v.inputs.sequences.map((s, i) => (s.group === 'B' ? -1 : i)).filter((i) => i >= 0);
          const full = vectorInputs(v, c.config.logp_source, adv);
          const sub = <T>(xs: readonly T[]) => keep.map((i) => xs[i]);
          const x: GrpoInputs = {
            per_token_logps: sub(full.per_token_logps),
            old_per_token_logps: sub(full.old_per_token_logps),
            ref_per_token_logps: sub(full.ref_per_token_logps),
            completion_mask: sub(full.completion_mask),
            advantages: sub(adv),
          };
          const cfg = {
            beta: v.meta.beta,
            epsilonLow: c.config.eps_low,
            epsilonHigh: c.config.eps_high,
            lossType: 'token_mean' as const,
            maxCompletionLength: L,
          };
          near(grpoLoss(x, cfg).loss, dropB, 'loss without B');
        });
      }
    });
  }

  it('tiny_case: G = 2, lengths [2, 1], on-policy, β = 0.04, token_mean', () => {
    const tc = v.tiny_case;
    const r = tinyLoss();
    tc.advantages.forEach((a, i) => near(tinyAdvantages()[i], a, `A[${i}]`));
    near(r.loss, tc.loss, 'loss');
    tc.tokens.forEach((tok, k) => {
      near(r.terms[tok.seq][tok.t].per_token_kl, tok.k3, `k3 ${k}`);
      near(r.terms[tok.seq][tok.t].per_token_loss, tok.per_token_loss, `per_token_loss ${k}`);
      near(r.grad[tok.seq][tok.t], tok.grad, `grad ${k}`);
      near(r.grad[tok.seq][tok.t], tc.grad_finite_difference[k], `grad vs FD ${k}`);
    });
  });
});

// ---------------------------------------------------------------------------------------------------
// Hand-computed cases (no spec file needed)
// ---------------------------------------------------------------------------------------------------
const JUNK = Number.POSITIVE_INFINITY; // padded positions: reading one would turn the loss into NaN/Infinity
const tinyAdvantages = () => groupAdvantages([[1, -1]]).flat();
function tinyLoss() {
  const logp = [
    [-0.5, -1.0, JUNK],
    [-0.7, JUNK, JUNK],
  ];
  return grpoLoss(
    {
      per_token_logps: logp,
      old_per_token_logps: logp.map((r) => [...r]),
      ref_per_token_logps: [
        [-0.6, -0.9, JUNK],
        [-0.5, JUNK, JUNK],
      ],
      completion_mask: [
        [1, 1, 0],
        [1, 0, 0],
      ],
      advantages: tinyAdvantages(),
    },
    { beta: 0.04, epsilonLow: 0.2, epsilonHigh: 0.2, lossType: 'token_mean', maxCompletionLength: 8 },
  );
}

describe('GRPO by hand', () => {
  it('verdictReward: +1 only for a verdict equal to the label', () => {
    expect([
      verdictReward('A', 'A'),
      verdictReward('B', 'B'),
      verdictReward('B', 'A'),
      verdictReward(null, 'A'),
    ]).toEqual([1, 1, -1, -1]);
  });

  it(
    'advantages: ±1/(√2 + 1e-4) for G = 2 (unbiased), ±1/(1 + 1e-4) population, ±1 none; all-equal and singleton ' +
      'groups give exactly 0',
    () => {
      const a = 1 / (Math.SQRT2 + 1e-4);
      expect(groupAdvantages([[1, -1]])[0]).toEqual([a, -a]);
      groupAdvantages([[1, -1]], { unbiased: false })[0].forEach((x, i) =>
        near(x, (i ? -1 : 1) / 1.0001, 'population'),
      );
      expect(groupAdvantages([[1, -1]], { scaleRewards: 'none' })[0]).toEqual([1, -1]);
      const r = groupAdvantages([[-1, -1, -1, -1], [1], [1, 1, 1, -1]]);
      expect(r[0]).toEqual([0, 0, 0, 0]);
      expect(r[1]).toEqual([0]);
      // 3 of 4 right: μ = 0.5, σ = 1 (unbiased) → +0.5/(1+eps), −1.5/(1+eps)
      r[2].forEach((x, i) => near(x, (i < 3 ? 0.5 : -1.5) / 1.0001, `A[${i}]`));
      // batch: per-group mean, σ of all 6 rewards of [[1,-1],[1,1,1,-1]]
      const sb = Math.sqrt((4 * (1 - 1 / 3) ** 2 + 2 * (-1 - 1 / 3) ** 2) / 5);
      near(
        groupAdvantages(
          [
            [1, -1],
            [1, 1, 1, -1],
          ],
          { scaleRewards: 'batch' },
        )[0][0],
        1 / (sb + 1e-4),
        'batch A',
      );
    },
  );

  it('tiny case: loss −0.235266780 and gradients (−A + 0.04(1 − e^{ref−ℓp}))/3, pads never read', () => {
    const r = tinyLoss();
    const A = 1 / (Math.SQRT2 + 1e-4);
    near(r.loss, -0.23526678, 'loss'); // spec/grpo.md §5
    near(r.grad[0][0], (-A + 0.04 * (1 - Math.exp(-0.1))) / 3, 'g00');
    near(r.grad[0][1], (-A + 0.04 * (1 - Math.exp(0.1))) / 3, 'g01');
    near(r.grad[1][0], (A + 0.04 * (1 - Math.exp(0.2))) / 3, 'g10');
    expect([r.grad[0][2], r.grad[1][1], r.grad[1][2]]).toEqual([0, 0, 0]);
    expect(r.terms.flat().every((t) => Number.isFinite(t.per_token_loss))).toBe(true);
  });

  it('clipping: zero policy gradient exactly when ρ > 1+ε_high with A > 0 or ρ < 1−ε_low with A < 0', () => {
    const cfg = { beta: 0, epsilonLow: 0.2, epsilonHigh: 0.28 };
    const at = (rho: number, A: number) => tokenTerm(Math.log(rho), 0, 0, A, cfg);
    expect(Math.abs(at(1.3, 1).dloss)).toBe(0); // high-clipped
    expect(at(1.3, 1).is_high_clipped).toBe(true);
    near(at(1.25, 1).dloss, -1.25, 'inside clip-higher band');
    expect(Math.abs(at(0.7, -1).dloss)).toBe(0); // low-clipped
    expect(at(0.7, -1).is_low_clipped).toBe(true);
    near(at(0.7, 1).dloss, -0.7, 'ρ < 1−ε with A > 0: the unclipped term wins');
    near(at(1.3, -1).dloss, 1.3, 'ρ > 1+ε with A < 0: the unclipped term wins');
    near(at(1.3, 1).per_token_loss, -1.28, 'clipped loss value −(1+ε_high)·A');
  });

  it('k3: ≥ 0, 0 at ℓp = ℓp_ref, matches e^d − d − 1, and is clamped to 10 with zero gradient there', () => {
    expect(k3(-1.3, -1.3)).toBe(0);
    near(k3(-1, -1.5), Math.exp(-0.5) + 0.5 - 1, 'k3');
    near(k3Grad(-1, -1.5), 1 - Math.exp(-0.5), 'k3 grad');
    for (let d = -5; d <= 5; d += 0.25) expect(k3(0, d)).toBeGreaterThanOrEqual(0);
    expect(k3(-20, -1)).toBe(10);
    expect(k3Grad(-20, -1)).toBe(0);
    expect(Number.isFinite(k3(-1e4, 0))).toBe(true);
  });

  it('dr_grpo divides by B·L_max (configured), not the padded width; seq- and token-mean differ by length', () => {
    const x: GrpoInputs = {
      per_token_logps: [
        [-1, -1, -1],
        [-1, JUNK, JUNK],
      ],
      old_per_token_logps: [
        [-1, -1, -1],
        [-1, JUNK, JUNK],
      ],
      ref_per_token_logps: [
        [-1, -1, -1],
        [-1, JUNK, JUNK],
      ],
      completion_mask: [
        [1, 1, 1],
        [1, 0, 0],
      ],
      advantages: [1, -1],
    };
    const base = { beta: 0, epsilonLow: 0.2, epsilonHigh: 0.2, maxCompletionLength: 10 };
    // per-token loss is −A: −1 on 3 tokens, +1 on 1 token
    near(grpoLoss(x, { ...base, lossType: 'dr_grpo' }).loss, (-3 + 1) / (2 * 10), 'dr_grpo');
    near(grpoLoss(x, { ...base, lossType: 'token_mean' }).loss, (-3 + 1) / 4, 'token_mean');
    expect(Math.abs(grpoLoss(x, { ...base, lossType: 'seq_mean_token_mean' }).loss)).toBeLessThan(1e-15);
    near(grpoLoss(x, { ...base, lossType: 'dr_grpo' }).grad[0][0], -1 / 20, 'dr_grpo grad');
  });
});

describe('analytic gradient vs central finite differences (random batches)', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: every valid token, every loss type, |Δ| ≤ 1e-7 + 1e-5·|g|`, () => {
      const rng = createRng(seed);
      const B = 6,
        T = 5,
        G = 3,
        L = 8;
      const u = (lo: number, hi: number) => lo + (hi - lo) * rng.next();
      const mask = Array.from({ length: B }, () => {
        const n = 1 + rng.int(T);
        return Array.from({ length: T }, (_, t) => +(t < n));
      });
      const old = mask.map((r) => r.map((m) => (m ? u(-3, -0.2) : JUNK)));
      const logp = old.map((r) => r.map((o) => (Number.isFinite(o) ? o + u(-0.4, 0.4) : JUNK)));
      const ref = old.map((r) => r.map((o) => (Number.isFinite(o) ? o + u(-0.3, 0.3) : JUNK)));
      const advantages = groupAdvantages([
        [1, -1, 1],
        [-1, -1, 1],
      ]).flat();
      for (const lossType of LOSS_TYPES) {
        const cfg = {
          beta: 0.04,
          epsilonLow: 0.2,
          epsilonHigh: 0.28,
          lossType,
          maxCompletionLength: L,
          groupSizes: [G, G],
        };
        const lossAt = (lp: number[][]) =>
          grpoLoss(
            {
              per_token_logps: lp,
              old_per_token_logps: old,
              ref_per_token_logps: ref,
              completion_mask: mask,
              advantages,
            },
            cfg,
          ).loss;
        const { grad } = grpoLoss(
          {
            per_token_logps: logp,
            old_per_token_logps: old,
            ref_per_token_logps: ref,
            completion_mask: mask,
            advantages,
          },
          cfg,
        );
        const h = 1e-6;
        mask.forEach((row, i) =>
          row.forEach((m, t) => {
            if (!m) return;
            const rho = Math.exp(logp[i][t] - old[i][t]);
            if (Math.abs(rho - 0.8) < 1e-3 || Math.abs(rho - 1.28) < 1e-3) return; // a kink: no derivative there
            const plus = logp.map((r) => [...r]),
              minus = logp.map((r) => [...r]);
            plus[i][t] += h;
            minus[i][t] -= h;
            const fd = (lossAt(plus) - lossAt(minus)) / (2 * h);
            const err = Math.abs(fd - grad[i][t]);
            if (err > 1e-7 + 1e-5 * Math.abs(grad[i][t]))
              expect.fail(`${lossType} [${i}][${t}]: analytic ${grad[i][t]}, FD ${fd}`);
          }),
        );
      }
    });
  }
});

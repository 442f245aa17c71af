// What the GRPO group view and the step-through draw, derived from a step report: one row per prompt with
// its G judgements (verdict, reward, advantage), the group's mean and the std its advantages were divided
// by, and per-token values of a judgement to shade its trace by (advantage, ratio, clipping, KL, log-prob).
// Pure functions of the report.
import { defaultTokenizer } from '../engine/tokenizer';
import type { Verdict } from '../rm/cor_parser';
import type { GrpoStepReport } from '../train/grpo_types';

export interface JudgementCell {
  index: number; // completion index in the step
  verdict: Verdict | null;
  reward: number;
  advantage: number;
  length: number; // tokens
  stopReason: 'eos' | 'length';
}

export interface GroupRow {
  group: number;
  id: string;
  category: string;
  label: string; // the pair's winner
  prompt: string;
  judgements: JudgementCell[];
  mean: number;
  std: number; // the group's own σ
  scaledBy: number | null; // the σ its advantages were divided by (the batch's under 'batch'); null: not divided
  zeroStd: boolean; // every verdict right or every one wrong: zero advantage, the group teaches nothing
}

export function groupRows(r: Pick<GrpoStepReport, 'sample' | 'score' | 'advantages'>): GroupRow[] {
  return r.sample.pairs.map((p, k) => {
    const g = r.advantages.groups[k];
    const judgements: JudgementCell[] = [];
    r.sample.completions.forEach((c, i) => {
      if (c.group !== k) return;
      judgements.push({
        index: i,
        verdict: r.score.verdicts[i],
        reward: r.score.rewards[i],
        advantage: g.advantages[judgements.length],
        length: c.tokens.length,
        stopReason: c.stopReason,
      });
    });
    return {
      group: k,
      id: p.id,
      category: p.category ?? '',
      label: p.winner,
      prompt: p.prompt,
      judgements,
      mean: g.mean,
      std: g.std,
      scaledBy: g.scaledBy,
      zeroStd: g.zeroStd,
    };
  });
}

export type ShadeMode = 'advantage' | 'ratio' | 'clipped' | 'kl' | 'logp';

export const SHADE_HELP: Record<ShadeMode, string> = {
  advantage: 'A_i, the same for every token of the judgement: GRPO broadcasts the sequence advantage to its tokens.',
  ratio: 'ρ = exp(ℓp − ℓp_old) at the last iteration of the step: 1 everywhere when μ = 1 (the policy is the sampler).',
  clipped: 'Tokens where the clipped branch of the surrogate was taken (zero policy gradient).',
  kl: 'k3 = exp(d) − d − 1, d = ℓp_ref − ℓp: how far the policy moved from the distilled model on this token.',
  logp: 'ℓp: the log-probability of the token under the policy at the sampling temperature.',
};

/** Per-token values of completion `i` for a shade mode; the loss stage shown is the last iteration. */
export function tokenValues(r: GrpoStepReport, i: number, mode: ShadeMode): number[] {
  const n = r.sample.completions[i].tokens.length;
  const last = r.losses[r.losses.length - 1];
  const row = (m: number[][] | boolean[][] | undefined) =>
    Array.from({ length: n }, (_, t) => Number(m?.[i]?.[t] ?? 0));
  switch (mode) {
    case 'advantage':
      return new Array(n).fill(r.advantages.advantages[i]);
    case 'ratio':
      return row(last?.ratio);
    case 'clipped':
      return row(last?.clipped);
    case 'kl':
      return row(last?.kl);
    case 'logp':
      return row(last?.per_token_logps);
  }
}

/** Each token's text; reports stored before they carried pieces came from character-tokenizer runs. */
export function tokenPieces(c: { tokens: number[]; pieces?: string[] }): string[] {
  return c.pieces ?? c.tokens.map((id) => defaultTokenizer().decode([id]));
}

// What must hold for the trace diagnosis: the oracle's own trace is right in every part; a trace that
// departs in one part (the solution, one observation, the verdict) is caught in that part and no other;
// any text diagnoses without throwing; and the summary's reward gap is 2·(P(v | head right) − P(v | head wrong)).
import { describe, expect, it } from 'vitest';
import { oracleTrace } from './oracle';
import { generatePairs } from './world';
import { diagnoseTrace, summarizeDiagnoses, type TraceDiagnosis } from './trace_diagnosis';

const pairs = generatePairs({ seed: 5, n: 200, digits: 1, maxConstraints: 2 });
const of = (category: string) => pairs.filter((p) => p.category === category);
const flip = (v: string) => (v === 'A' ? 'B' : 'A');

describe('diagnoseTrace', () => {
  it("finds every part of the oracle's own trace right (200 pairs, all categories)", () => {
    for (const p of pairs) {
      const d = diagnoseTrace(p, oracleTrace(p));
      expect(d, p.id).toMatchObject({
        parsed: true,
        typeRight: true,
        headRight: true,
        verdictRight: true,
        followsOwnChecks: true,
      });
      expect(d.checks).toBeGreaterThan(0);
      expect(d.observationsRight).toBe(d.checks);
      expect(d.judgementsRight).toBe(d.checks);
    }
  });

  it('has no head to judge in the no-rubric ablation', () => {
    for (const p of pairs.slice(0, 40))
      expect(diagnoseTrace(p, oracleTrace(p, { noRubric: true }), { noRubric: true }).headRight).toBeNull();
  });

  it('catches a wrong worked solution and nothing else', () => {
    for (const p of of('reasoning')) {
      const t = oracleTrace(p).replace(/<solution>[^<]*<\/solution>/, '<solution>9+9=99:99</solution>');
      const d = diagnoseTrace(p, t);
      expect(d.headRight).toBe(false);
      expect(d).toMatchObject({ typeRight: true, verdictRight: true, followsOwnChecks: true });
      expect(d.observationsRight).toBe(d.checks);
    }
  });

  it('catches a wrong observation in one check', () => {
    for (const p of of('chat-hard')) {
      const t = oracleTrace(p).replace(/1A:([^ <]*) /, (_, v: string) => `1A:${v}x `);
      const d = diagnoseTrace(p, t);
      expect(d.observationsRight).toBe(d.checks - 1);
      expect(d.judgementsRight).toBe(d.checks);
      expect(d.headRight).toBe(true);
    }
  });

  it('catches a verdict against the judge’s own checks', () => {
    for (const p of of('safety')) {
      const t = oracleTrace(p).replace(/\[\[([AB])\]\]/, (_, v: string) => `[[${flip(v)}]]`);
      expect(diagnoseTrace(p, t)).toMatchObject({ verdictRight: false, followsOwnChecks: false, headRight: true });
    }
  });

  it('diagnoses truncated and garbled text without throwing', () => {
    for (const p of pairs.slice(0, 50)) {
      const full = oracleTrace(p);
      for (const t of ['', 'garbage', full.slice(0, full.length >> 1), full.replace(/<eval>/, '')]) {
        const d = diagnoseTrace(p, t);
        if (t === '' || t === 'garbage')
          expect(d).toMatchObject({
            parsed: false,
            typeRight: false,
            observationsRight: 0,
            verdictRight: false,
            followsOwnChecks: null,
          });
      }
    }
  });
});

describe('summarizeDiagnoses', () => {
  const d = (headRight: boolean | null, verdictRight: boolean): TraceDiagnosis => ({
    parsed: true,
    typeRight: true,
    headRight,
    checks: 2,
    observationsRight: 1,
    judgementsRight: 2,
    verdictRight,
    followsOwnChecks: true,
  });

  it('computes the reward gap, the mixed-reward and right-head pair counts', () => {
    const s = summarizeDiagnoses([
      [d(true, true), d(true, true), d(false, true), d(false, false)], // mixed, has a right head
      [d(false, false), d(false, false)], // all wrong: not mixed
      [d(false, true), d(false, true)], // all right: not mixed
    ]);
    expect(s).toMatchObject({ judgements: 8, pairs: 3, pairsMixedReward: 1, pairsWithRightHead: 1 });
    expect(s.verdictGivenHeadRight).toEqual({ k: 2, n: 2 });
    expect(s.verdictGivenHeadWrong).toEqual({ k: 3, n: 6 });
    expect(s.rewardGap).toBeCloseTo(2 * (1 - 0.5), 12);
    expect(s.observationsRight).toEqual({ k: 8, n: 16 });
    expect(s.verdictGivenObservationsWrong).toEqual({ k: 5, n: 8 }); // every judgement here misses one of two
    expect(s.observationGap).toBeNull();
  });

  it('computes the observation gap: all observations right against any wrong', () => {
    const all = (v: boolean): TraceDiagnosis => ({ ...d(true, v), observationsRight: 2 });
    const s = summarizeDiagnoses([[all(true), all(true), all(false), d(true, false), d(true, true)]]);
    expect(s.verdictGivenObservationsRight).toEqual({ k: 2, n: 3 });
    expect(s.verdictGivenObservationsWrong).toEqual({ k: 1, n: 2 });
    expect(s.observationGap).toBeCloseTo(2 * (2 / 3 - 1 / 2), 12);
  });

  it('has no reward gap when one side is empty, and leaves head-less judgements out of the head figures', () => {
    const s = summarizeDiagnoses([[d(null, true), d(true, false)]]);
    expect(s.rewardGap).toBeNull();
    expect(s.headRight).toEqual({ k: 1, n: 1 });
    expect(s.verdictRight).toEqual({ k: 1, n: 2 });
  });
});

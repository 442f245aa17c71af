// Where a judge's trace departs from the oracle's on a synthetic pair, part by part: the type, the head
// (rubric items, or the worked solution), each check's observation (`1A:3`, `A:12`) and its ok/no, the
// verdict, and whether the verdict follows the judge's own checks. Over G sampled judgements of the same
// pair it also says what GRPO's outcome reward can see: the reward r = +1 if the verdict is right else −1,
// averaged over judgements whose head is right and over those whose head is wrong. Their difference,
// the reward gap E[r | head right] − E[r | head wrong] = 2·(P(v | right) − P(v | wrong)), is the pull GRPO
// puts on writing the head right: 0 when the checks after it are coin flips. The same gap for the checks
// (all observations right against any wrong) is the pull on reading the responses right.
import { parseCor, type Check, type CorTree } from './cor_parser';
import { oracleTrace, type OracleOptions } from './oracle';
import type { Pair } from './pair';

export interface TraceDiagnosis {
  parsed: boolean; // a verdict was found
  typeRight: boolean;
  /** The rubric block (Chat) or solution (Reasoning) is the oracle's, character for character;
   * null when the oracle writes none (the no-rubric ablation). */
  headRight: boolean | null;
  checks: number; // the oracle's checks
  observationsRight: number; // checks with the oracle's observed value, same rubric item and response
  judgementsRight: number; // checks with the oracle's ok/no (right/wrong)
  verdictRight: boolean;
  /** The verdict names the one response none of its own checks failed; null when its checks fail
   * neither or both responses (nothing to follow). */
  followsOwnChecks: boolean | null;
}

const FAILED = /^(no|wrong)$/;

function headText(t: CorTree): string | undefined {
  return t.rubric?.text ?? t.solution?.text;
}

function sameCheck(a: Check | undefined, b: Check): boolean {
  return a !== undefined && a.rubric === b.rubric && a.response === b.response;
}

/** The verdict the trace's own checks imply, or null when they single out no response. */
export function verdictOfChecks(t: CorTree): 'A' | 'B' | null {
  const failed = (r: 'A' | 'B') => (t.eval?.checks ?? []).some((c) => c.response === r && FAILED.test(c.verdict ?? ''));
  const a = failed('A'),
    b = failed('B');
  return a === b ? null : a ? 'B' : 'A';
}

/** Compares `text` (any judge output) with the oracle's trace for `pair` (a synthetic pair, not a tie). */
export function diagnoseTrace(pair: Pair, text: string, opts: OracleOptions = {}): TraceDiagnosis {
  const m = parseCor(text),
    o = parseCor(oracleTrace(pair, opts));
  const oh = headText(o);
  const mine = m.eval?.checks ?? [],
    truth = o.eval?.checks ?? [];
  let observationsRight = 0,
    judgementsRight = 0;
  truth.forEach((c, j) => {
    // checks are written in the oracle's order; compare position by position, matching item and response
    const k = mine[j];
    if (!sameCheck(k, c)) return;
    if (k.value === c.value) observationsRight++;
    if (k.verdict === c.verdict) judgementsRight++;
  });
  const own = verdictOfChecks(m);
  return {
    parsed: m.verdict !== null,
    typeRight: m.type === o.type,
    headRight: oh === undefined ? null : headText(m) === oh,
    checks: truth.length,
    observationsRight,
    judgementsRight,
    verdictRight: m.verdict === pair.winner,
    followsOwnChecks: own === null ? null : m.verdict === own,
  };
}

/** k of n, as counted. */
export interface Count {
  k: number;
  n: number;
}

export interface DiagnosisSummary {
  judgements: number;
  pairs: number;
  parsed: Count;
  typeRight: Count;
  headRight: Count; // over judgements whose oracle writes a head
  observationsRight: Count; // over the oracle's checks
  judgementsRight: Count;
  verdictRight: Count;
  followsOwnChecks: Count; // over judgements whose checks single out a response
  verdictGivenHeadRight: Count;
  verdictGivenHeadWrong: Count;
  /** E[r | head right] − E[r | head wrong] with r = ±1; null when either side has no judgement. */
  rewardGap: number | null;
  verdictGivenObservationsRight: Count; // every observation the oracle's
  verdictGivenObservationsWrong: Count;
  /** E[r | all observations right] − E[r | any wrong]; null when either side has no judgement. */
  observationGap: number | null;
  pairsWithRightHead: number; // pairs with at least one right head among their judgements
  pairsMixedReward: number; // pairs whose judgements are neither all right nor all wrong (GRPO learns from these)
}

const count = (): Count => ({ k: 0, n: 0 });
const add = (c: Count, hit: boolean) => {
  c.n++;
  if (hit) c.k++;
};

/** Sums the diagnoses of each pair's judgements (one group per pair). */
export function summarizeDiagnoses(groups: TraceDiagnosis[][]): DiagnosisSummary {
  const s: DiagnosisSummary = {
    judgements: 0,
    pairs: groups.length,
    parsed: count(),
    typeRight: count(),
    headRight: count(),
    observationsRight: count(),
    judgementsRight: count(),
    verdictRight: count(),
    followsOwnChecks: count(),
    verdictGivenHeadRight: count(),
    verdictGivenHeadWrong: count(),
    rewardGap: null,
    verdictGivenObservationsRight: count(),
    verdictGivenObservationsWrong: count(),
    observationGap: null,
    pairsWithRightHead: 0,
    pairsMixedReward: 0,
  };
  for (const g of groups) {
    let rightHead = false,
      right = 0;
    for (const d of g) {
      s.judgements++;
      add(s.parsed, d.parsed);
      add(s.typeRight, d.typeRight);
      add(s.verdictRight, d.verdictRight);
      s.observationsRight.k += d.observationsRight;
      s.observationsRight.n += d.checks;
      s.judgementsRight.k += d.judgementsRight;
      s.judgementsRight.n += d.checks;
      if (d.followsOwnChecks !== null) add(s.followsOwnChecks, d.followsOwnChecks);
      add(
        d.observationsRight === d.checks ? s.verdictGivenObservationsRight : s.verdictGivenObservationsWrong,
        d.verdictRight,
      );
      if (d.headRight !== null) {
        add(s.headRight, d.headRight);
        add(d.headRight ? s.verdictGivenHeadRight : s.verdictGivenHeadWrong, d.verdictRight);
        rightHead ||= d.headRight;
      }
      if (d.verdictRight) right++;
    }
    if (rightHead) s.pairsWithRightHead++;
    if (right > 0 && right < g.length) s.pairsMixedReward++;
  }
  const gap = (r: Count, w: Count) => (r.n && w.n ? 2 * (r.k / r.n - w.k / w.n) : null);
  s.rewardGap = gap(s.verdictGivenHeadRight, s.verdictGivenHeadWrong);
  s.observationGap = gap(s.verdictGivenObservationsRight, s.verdictGivenObservationsWrong);
  return s;
}

// What must hold for the synthetic world: it is reproducible from its seed; every pair's truth is true
// (the chosen response keeps every constraint / gives the exact answer / refuses exactly when harmful, the
// rejected one breaks exactly the named constraint / gives the slip); surface judges ("always A", "pick the
// longer") score 50±8% overall and per section on 400 pairs; splits are disjoint by prompt text and
// exactly half A; compact prompt + trace fit a 256-token context. Exact checks unless a tolerance is named.
import { describe, expect, it } from 'vitest';
import { defaultTokenizer } from '../engine/tokenizer';
import { judgePrompt } from './cor_prompt';
import { parseCor } from './cor_parser';
import { oracleTrace } from './oracle';
import { CATEGORIES, type Pair } from './pair';
import { generatePairs, makeSplits } from './world';
import { keeps, wordsOf } from './world_chat';
import { positionOf, truthOf, type ReasoningTruth } from './world_truth';

const pairs = generatePairs({ seed: 11, n: 400 });
const text = (p: Pair, side: 'chosen' | 'rejected') => (positionOf(p, side) === 'A' ? p.a : p.b);

/** Independent answers to the reasoning problems, from the problem text alone. */
function solve(t: ReasoningTruth): string {
  const m = /^(\d+)([+-])(\d+)$/.exec(t.problem);
  if (m) return String(m[2] === '+' ? Number(m[1]) + Number(m[3]) : Number(m[1]) - Number(m[3]));
  const ma = /^(\d)\*(\d)([+-])(\d)$/.exec(t.problem);
  if (ma) return String(Number(ma[1]) * Number(ma[2]) + (ma[3] === '+' ? 1 : -1) * Number(ma[4]));
  const [verb, s, , hay] = t.problem.split(' ');
  if (verb === 'reverse') return s.split('').reverse().join('');
  if (verb === 'sort') return s.split('').sort().join('');
  return String(hay.split('').filter((c) => c === s).length); // count x in hay
}

function score(ps: Pair[], judge: (p: Pair) => 'A' | 'B'): number {
  return ps.filter((p) => judge(p) === p.winner).length / ps.length;
}
const longer = (p: Pair): 'A' | 'B' => (p.b.length > p.a.length ? 'B' : 'A');

describe('world: truth', () => {
  it('is reproducible from the seed and differs across seeds', () => {
    expect(generatePairs({ seed: 11, n: 400 })).toEqual(pairs);
    expect(generatePairs({ seed: 12, n: 40 }).map((p) => p.prompt)).not.toEqual(
      pairs.slice(0, 40).map((p) => p.prompt),
    );
  });

  it('carries a truth that holds on every pair (400 pairs, all four sections)', () => {
    const seen = new Set<string>();
    for (const p of pairs) {
      seen.add(p.category!);
      const t = truthOf(p)!;
      expect(t).not.toBeNull();
      const chosen = text(p, 'chosen'),
        rejected = text(p, 'rejected');
      if (t.kind === 'chat') {
        expect(t.subtle).toBe(p.category === 'chat-hard');
        t.constraints.forEach((c, i) => {
          expect(keeps(c, chosen), `${p.id} chosen ${c.kind}`).toBe(true);
          expect(keeps(c, rejected), `${p.id} rejected ${c.kind}`).toBe(i !== t.broken);
        });
        expect(p.prompt).toContain(t.constraints.map((c) => c.ask).join(', '));
      } else if (t.kind === 'reasoning') {
        expect(t.answer).toBe(solve(t));
        expect(t.chosenAnswer).toBe(t.answer);
        expect(t.rejectedAnswer).not.toBe(t.answer);
        expect(chosen.replace(/\.$/, '').endsWith(t.chosenAnswer)).toBe(true);
        expect(rejected.replace(/\.$/, '').endsWith(t.rejectedAnswer)).toBe(true);
      } else {
        const refuses = (r: string) => /can't|won't|Sorry/.test(r);
        expect(refuses(chosen)).toBe(t.harmful);
        expect(refuses(rejected)).toBe(!t.harmful);
        expect(p.prompt).toContain(t.cue);
      }
    }
    expect([...seen].sort()).toEqual([...CATEGORIES].sort());
  });

  it('chat-hard breaks subtly: a count off by one, or one word/comma/mark changed', () => {
    for (const p of pairs.filter((q) => q.category === 'chat-hard')) {
      const t = truthOf(p)!;
      if (t.kind !== 'chat') throw new Error('chat-hard without chat truth');
      expect(t.constraints.length).toBeGreaterThanOrEqual(2);
      const c = t.constraints[t.broken];
      if (c.kind === 'count') expect(Math.abs(wordsOf(text(p, 'rejected')).length - Number(c.param))).toBe(1);
    }
  });

  it('follows the difficulty knobs', () => {
    const hard = generatePairs({
      seed: 3,
      n: 80,
      digits: 3,
      reasoningTasks: ['add'],
      mix: { chat: 0, 'chat-hard': 0, safety: 0, reasoning: 1 },
    });
    expect(hard.every((p) => /^\d{3}\+\d{3}$/.test((truthOf(p) as ReasoningTruth).problem))).toBe(true);
    const one = generatePairs({
      seed: 3,
      n: 40,
      maxConstraints: 1,
      mix: { chat: 1, 'chat-hard': 0, safety: 0, reasoning: 0 },
    });
    expect(
      one.every((p) => p.category === 'chat' && (truthOf(p) as { constraints: unknown[] }).constraints.length === 1),
    ).toBe(true);
  });

  it('says so when the prompt space runs out instead of repeating prompts', () => {
    const tiny = {
      seed: 1,
      n: 400,
      digits: 1,
      reasoningTasks: ['add'] as const,
      mix: { chat: 0, 'chat-hard': 0, safety: 0, reasoning: 1 },
    };
    expect(() => generatePairs(tiny)).toThrow(/no new reasoning prompt/);
  });
});

describe('world: surface cues', () => {
  it('"always A" and "pick the longer" score 50±8% overall and per section (400 pairs)', () => {
    expect(Math.abs(score(pairs, () => 'A') - 0.5)).toBeLessThanOrEqual(0.08);
    expect(Math.abs(score(pairs, longer) - 0.5)).toBeLessThanOrEqual(0.08);
    for (const c of CATEGORIES) {
      const ps = pairs.filter((p) => p.category === c);
      expect(ps.length).toBe(100);
      expect(Math.abs(score(ps, () => 'A') - 0.5), `${c} position`).toBeLessThanOrEqual(0.08);
      expect(Math.abs(score(ps, longer) - 0.5), `${c} length`).toBeLessThanOrEqual(0.08);
    }
  });

  it('keeps the chat-hard length trap: its rejected response is the longer more often than not', () => {
    const ps = pairs.filter((p) => p.category === 'chat-hard');
    expect(score(ps, longer)).toBeLessThan(0.5);
  });

  it('"always refuse" scores 50±8% on safety', () => {
    const ps = pairs.filter((p) => p.category === 'safety');
    const refuser = (p: Pair): 'A' | 'B' => (/can't|won't|Sorry/.test(p.a) ? 'A' : 'B');
    expect(Math.abs(score(ps, refuser) - 0.5)).toBeLessThanOrEqual(0.08);
  });
});

describe('makeSplits', () => {
  const s = makeSplits({ seed: 5, nDistill: 60, nGrpo: 300, nEval: 200 });
  const all = [...s.distill.map((d) => d.pair), ...s.grpo, ...s.eval];

  it('gives disjoint splits by prompt text, unique ids, exactly half A in each', () => {
    expect([s.distill.length, s.grpo.length, s.eval.length]).toEqual([60, 300, 200]);
    expect(new Set(all.map((p) => p.prompt)).size).toBe(all.length);
    expect(new Set(all.map((p) => p.id)).size).toBe(all.length);
    for (const split of [s.distill.map((d) => d.pair), s.grpo, s.eval]) {
      expect(split.filter((p) => p.winner === 'A').length * 2).toBe(split.length);
    }
  });

  it('keeps the eval set fixed when the training sizes change', () => {
    const other = makeSplits({ seed: 5, nDistill: 10, nGrpo: 50, nEval: 200 });
    expect(other.eval).toEqual(s.eval);
  });

  it('traces the distill split with the oracle, each trace parsing to its label', () => {
    for (const { pair, trace } of s.distill) {
      expect(trace).toBe(oracleTrace(pair));
      expect(parseCor(trace).verdict).toBe(pair.winner);
    }
  });
});

describe('world: context budget', () => {
  it('fits compact prompt (≤150 tokens) + trace (≤140) + <bos>/<eos> in 256 tokens (1000 pairs)', () => {
    const tok = defaultTokenizer();
    let worstPrompt = 0,
      worstTrace = 0,
      worstAll = 0;
    for (const p of generatePairs({ seed: 2, n: 1000 })) {
      const np = tok.encode(judgePrompt(p, 'compact').text).ids.length,
        nt = tok.encode(oracleTrace(p)).ids.length;
      worstPrompt = Math.max(worstPrompt, np);
      worstTrace = Math.max(worstTrace, nt);
      worstAll = Math.max(worstAll, np + nt + 2);
    }
    expect(worstPrompt).toBeLessThanOrEqual(150);
    expect(worstTrace).toBeLessThanOrEqual(140);
    expect(worstAll).toBeLessThanOrEqual(256);
  });
});

describe('keeps (what each constraint means)', () => {
  const c = (kind: 'count' | 'case' | 'word' | 'end' | 'comma', param: string) => ({
    kind,
    param,
    ask: '',
    rubric: '',
  });
  it('judges hand-written responses', () => {
    expect(keeps(c('count', '3'), 'APPLE PEAR FIG!')).toBe(true);
    expect(keeps(c('count', '3'), 'apple, pear')).toBe(false);
    expect(keeps(c('case', 'caps'), 'APPLE PEAR!')).toBe(true);
    expect(keeps(c('case', 'caps'), 'APPLE Pear')).toBe(false);
    expect(keeps(c('case', 'lower'), 'Apple pear')).toBe(false);
    expect(keeps(c('word', 'pear'), 'Apple, PEAR.')).toBe(true);
    expect(keeps(c('word', 'pear'), 'apple peach')).toBe(false);
    expect(keeps(c('end', '!'), 'a b!')).toBe(true);
    expect(keeps(c('end', '!'), 'a b.')).toBe(false);
    expect(keeps(c('comma', ''), 'a, b, c!')).toBe(true);
    expect(keeps(c('comma', ''), 'a, b c')).toBe(false);
    expect(keeps(c('comma', ''), 'a b')).toBe(false);
  });
});

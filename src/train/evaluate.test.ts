import { describe, expect, it } from 'vitest';
import { importDataset } from '../rm/importers';
import type { Pair } from '../rm/pair';
import { majority, rewardBenchSections, scoreJudgements } from './evaluate';

describe('evaluation scoring', () => {
  it('majority vote: ties and no verdicts give none; the share is of all samples', () => {
    expect(majority(['A', 'A', 'B'])).toEqual({ verdict: 'A', share: 2 / 3 });
    expect(majority(['A', 'B', null, null]).verdict).toBeNull();
    expect(majority([null, 'B', null])).toEqual({ verdict: 'B', share: 1 / 3 });
  });
  it('RewardBench sections weight subsets by their example counts', () => {
    const acc = (a: number) => ({ correct: 0, total: 1, accuracy: a });
    const s = rewardBenchSections({
      'alpacaeval-easy': acc(1),
      'mt-bench-med': acc(0),
      'math-prm': acc(0.5),
      'hep-python': acc(1),
    })!;
    expect(s.chat).toBeCloseTo(100 / 140, 10); // weights 100 and 40
    expect(s.reasoning).toBeCloseTo((0.5 * 984 + 164) / (984 + 164), 10);
    expect(rewardBenchSections({ mine: acc(1) })).toBeUndefined();
  });
});

describe('accuracy over both A/B orders', () => {
  const pairs = (['A', 'B', 'A', 'B'] as const).map(
    (winner, i): Pair => ({
      id: `p${i}`,
      prompt: 'q',
      a: 'x',
      b: 'y',
      winner,
      category: i < 2 ? 'chat' : 'safety',
      source: 'test',
    }),
  );
  const rows = pairs.flatMap((_, pair) => [
    { pair, swapped: false },
    { pair, swapped: true },
  ]);
  const say = (v: string) => `<answer>[[${v}]]</answer>`;
  it('a judge that always names position A scores exactly 50%, in every category, and is never consistent', () => {
    const r = scoreJudgements(
      pairs,
      rows,
      rows.map(() => say('A')),
      1,
      'm',
    );
    expect(r.overall).toEqual({ correct: 4, total: 8, accuracy: 0.5 });
    expect(r.perCategory.chat.accuracy).toBe(0.5);
    expect(r.perCategory.safety.accuracy).toBe(0.5);
    expect(r.positionConsistency).toBe(0);
  });
  it('a judge that reads the content is right in both orders; one right only in the first order gets half', () => {
    // in the swapped order the winner sits at the other position
    const content = rows.map((r) => say(r.swapped ? (pairs[r.pair].winner === 'A' ? 'B' : 'A') : pairs[r.pair].winner));
    const good = scoreJudgements(pairs, rows, content, 1, 'm');
    expect(good.overall.accuracy).toBe(1);
    expect(good.positionConsistency).toBe(1);
    const firstOnly = rows.map((r) => say(pairs[r.pair].winner)); // right as given, the same letter when swapped
    const half = scoreJudgements(pairs, rows, firstOnly, 1, 'm');
    expect(half.overall.accuracy).toBe(0.5);
    expect(half.pairs.every((p) => p.correct && !p.swappedCorrect)).toBe(true);
  });
  it('majority of 2 samples: a split vote is a tie, counted wrong and reported; two unparseables are not a tie', () => {
    const rows2 = pairs.flatMap((_, pair) => [false, false, true, true].map((swapped) => ({ pair, swapped })));
    // pair 0: first order votes A, B (tie); every other order votes the right letter twice; pair 1 swapped: unparseable
    // twice
    const texts = rows2.map((r, i) => {
      if (r.pair === 0 && !r.swapped) return say(i % 2 ? 'B' : 'A');
      if (r.pair === 1 && r.swapped) return 'no verdict';
      const w = pairs[r.pair].winner;
      return say(r.swapped ? (w === 'A' ? 'B' : 'A') : w);
    });
    const rep = scoreJudgements(pairs, rows2, texts, 2, 'm');
    expect(rep.tiedVotes).toBe(1);
    expect(rep.overall).toEqual({ correct: 6, total: 8, accuracy: 0.75 });
    expect(
      scoreJudgements(
        pairs,
        rows,
        rows.map(() => say('A')),
        1,
        'm',
      ).tiedVotes,
    ).toBe(0);
  });
  it('an unparseable judgement counts wrong in its order', () => {
    const texts = rows.map((r) => (r.swapped ? 'no verdict' : say(pairs[r.pair].winner)));
    const r = scoreJudgements(pairs, rows, texts, 1, 'm');
    expect(r.overall.accuracy).toBe(0.5);
    expect(r.unparseableRate).toBe(0.5);
  });
});

/** Names that are keys of every plain object: a table keyed by data must still count them as their own. */
const OBJECT_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'] as const;

/** Own property names of Object.prototype, Object and the prototype's methods: pollution adds to them. */
function prototypeSnapshot(): string[][] {
  const proto = Object.prototype as unknown as Record<string, unknown>;
  const members = Object.getOwnPropertyNames(proto)
    .filter((n) => n !== '__proto__')
    .map((n) => proto[n])
    .filter((v) => typeof v === 'function');
  return [Object.prototype, Object, Function.prototype, ...members].map((o) => Object.getOwnPropertyNames(o).sort());
}

const flip = (v: 'A' | 'B') => (v === 'A' ? 'B' : 'A');
/** A stand-in judge's text for a pair in one order: right or wrong, by plan. */
function judgement(p: Pair, swapped: boolean, right: boolean): string {
  const truth = swapped ? flip(p.winner as 'A' | 'B') : (p.winner as 'A' | 'B'); // the letter the winner sits at
  return `<answer>[[${right ? truth : flip(truth)}]]</answer>`;
}
const bothOrders = (pairs: Pair[]) =>
  pairs.flatMap((_, pair) => [
    { pair, swapped: false },
    { pair, swapped: true },
  ]);

describe('prototype pollution in evaluation', () => {
  it('subsets named __proto__, constructor, toString, hasOwnProperty are counted as their own subsets', () => {
    const before = prototypeSnapshot();
    // RewardBench: 4 records per subset; every string field holds one of the names
    const subsets = [...OBJECT_NAMES, 'alpacaeval-easy'];
    const lines = subsets.flatMap((subset, s) =>
      [0, 1, 2, 3].map((k) =>
        JSON.stringify({
          id: k === 0 && s < 4 ? subset : `${subset}:${k}`,
          prompt: OBJECT_NAMES[k],
          chosen: OBJECT_NAMES[(k + 1) % 4],
          chosen_model: OBJECT_NAMES[(k + 2) % 4],
          rejected: OBJECT_NAMES[(k + 3) % 4],
          rejected_model: subset,
          subset,
        }),
      ),
    );
    const { pairs } = importDataset(lines.join('\n'), 'rewardbench.jsonl');
    expect(pairs.map((p) => p.subset)).toEqual(subsets.flatMap((s) => [s, s, s, s]));
    expect(pairs.map((p) => p.category ?? '-')).toEqual(
      subsets.flatMap((s) => Array(4).fill(s[0] === 'a' ? 'chat' : '-')),
    );
    // the stand-in judge is right on the first k judgements of each subset: 1, 2, 3, 4 and 6 of 8
    const rightOf = new Map(subsets.map((s, i) => [s, i < 4 ? i + 1 : 6]));
    const seen = new Map<string, number>();
    const rows = bothOrders(pairs);
    const texts = rows.map((r) => {
      const subset = pairs[r.pair].subset!;
      const n = (seen.get(subset) ?? 0) + 1;
      seen.set(subset, n);
      return judgement(pairs[r.pair], r.swapped, n <= rightOf.get(subset)!);
    });
    const rep = scoreJudgements(pairs, rows, texts, 1, 'stand-in');
    const acc = (correct: number) => ({ correct, total: 8, accuracy: correct / 8 });
    expect(Object.entries(rep.perSubset).sort()).toEqual(
      [
        ['__proto__', acc(1)],
        ['constructor', acc(2)],
        ['toString', acc(3)],
        ['hasOwnProperty', acc(4)],
        ['alpacaeval-easy', acc(6)],
      ].sort(),
    );
    expect(rep.overall).toEqual({ correct: 16, total: 40, accuracy: 0.4 });
    expect(Object.entries(rep.perCategory)).toEqual([['chat', acc(6)]]);
    expect(rep.rewardBenchSections).toEqual({ chat: 0.75 }); // the named subsets are in no section
    // RewardBench's flat shape: each subset's accuracy as an own field; the report's own fields stay
    for (const [s, n] of rightOf) expect(Object.getOwnPropertyDescriptor(rep, s)?.value, s).toBe(n / 8);
    expect(Object.getPrototypeOf(rep)).toBe(Object.prototype);
    const saved = JSON.parse(JSON.stringify(rep)); // as eval-*.json holds it
    expect(Object.getOwnPropertyDescriptor(saved.perSubset, '__proto__')?.value).toEqual(acc(1));
    // a subset missing from a table reads as missing, whatever its name
    for (const name of OBJECT_NAMES) expect(rep.perDifficulty[name], name).toBeUndefined();
    expect(prototypeSnapshot()).toEqual(before);
    expect(({} as Record<string, unknown>).total).toBeUndefined();
    expect(({} as Record<string, unknown>).correct).toBeUndefined();
  });

  it('RM-Bench records named after object keys: per-subset and per-difficulty figures are right', () => {
    const before = prototypeSnapshot();
    const record = {
      id: 'hasOwnProperty',
      prompt: '__proto__',
      chosen: ['constructor', 'toString', 'hasOwnProperty'],
      rejected: ['__proto__', 'constructor', 'toString'],
      subset: '__proto__',
      domain: 'constructor',
      error_key: 'toString',
      error: '__proto__',
    };
    const { pairs } = importDataset(JSON.stringify([record]), 'rm_bench.json');
    expect(pairs).toHaveLength(9);
    expect(pairs.every((p) => p.subset === '__proto__' && p.category === undefined)).toBe(true);
    // right in both orders on hard cells, in the shown order only on normal ones, never on easy ones
    const rows = bothOrders(pairs);
    const texts = rows.map((r) => {
      const d = pairs[r.pair].difficulty;
      return judgement(pairs[r.pair], r.swapped, d === 'hard' || (d === 'normal' && !r.swapped));
    });
    const rep = scoreJudgements(pairs, rows, texts, 1, 'stand-in');
    expect(Object.entries(rep.perSubset)).toEqual([['__proto__', { correct: 9, total: 18, accuracy: 0.5 }]]);
    expect(Object.entries(rep.perDifficulty).sort()).toEqual([
      ['easy', { correct: 0, total: 6, accuracy: 0 }],
      ['hard', { correct: 6, total: 6, accuracy: 1 }],
      ['normal', { correct: 3, total: 6, accuracy: 0.5 }],
    ]);
    expect(rep.perCategory.constructor).toBeUndefined();
    expect(prototypeSnapshot()).toEqual(before);
  });

  it("a subset named like one of the report's own fields is in perSubset and leaves that field alone", () => {
    const pairs = ['model', 'pairs', 'samples'].map(
      (subset, i): Pair => ({ id: `p${i}`, prompt: 'q', a: 'x', b: 'y', winner: 'A', subset, source: 'test' }),
    );
    const rows = bothOrders(pairs);
    const rep = scoreJudgements(
      pairs,
      rows,
      rows.map((r) => judgement(pairs[r.pair], r.swapped, true)),
      1,
      'm',
    );
    expect([rep.model, rep.pairs.length, rep.samples]).toEqual(['m', 3, 1]);
    expect(Object.keys(rep.perSubset).sort()).toEqual(['model', 'pairs', 'samples']);
  });
});

describe('evaluate (nano, WASM)', () => {
  it('judges every row without a progress callback, and the steppable evaluator reports the same', async () => {
    const { switchTestBackend } = await import('../engine/test_backends');
    const { presetConfig } = await import('../engine/config');
    const { initParams } = await import('../engine/model');
    const { defaultTokenizer } = await import('../engine/tokenizer');
    const { makeSplits } = await import('../rm/world');
    const { createEvaluator, evaluate } = await import('./evaluate');
    await switchTestBackend('wasm');
    const tok = defaultTokenizer();
    const cfg = presetConfig('nano', {
      vocab_size: tok.vocabSize,
      bos_token_id: tok.bosId,
      eos_token_id: tok.eosId,
      pad_token_id: tok.padId,
    });
    const params = initParams(cfg, 3);
    const pairs = makeSplits({ seed: 2, nDistill: 0, nGrpo: 0, nEval: 3 }).eval;
    const o = { samples: 1, temperature: 1, maxCompletionLength: 4, batchSize: 4, seed: 1 };
    const rep = await evaluate(params, cfg, tok, pairs, o); // no onProgress: a regression once skipped every step
    expect(rep.overall.total).toBe(6); // 3 pairs × 2 orders
    expect(rep.pairs.every((p) => p.trace.length > 0)).toBe(true); // each pair was really judged
    const e = createEvaluator(params, cfg, tok, pairs, o);
    expect(e.total).toBe(6); // 3 pairs × 2 orders
    expect(await e.step()).toBe(4);
    expect(await e.step()).toBe(6);
    expect(e.done()).toBe(true);
    expect(e.report().pairs.map((p) => p.trace)).toEqual(rep.pairs.map((p) => p.trace)); // greedy: the same judgements
  });
});

import { describe, expect, it } from 'vitest';
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

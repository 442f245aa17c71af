// The judging rate. Must hold: the first readback's tokens and the time before it are not counted (a slow
// prefill would otherwise halve the rate shown); every judgement of the batch counts; a judgement that stopped
// early keeps its tokens; no rate before a second readback (a single burst has no duration).
import { describe, expect, it } from 'vitest';
import { countTokens, type SpeedMeter, startMeter, tokensPerSecond, tokensWritten } from './judge_speed';

const report = (m: SpeedMeter, events: [string, number, number][]) =>
  events.reduce((acc, [key, tokens, at]) => countTokens(acc, key, tokens, at), m);

describe('judge speed meter', () => {
  it('counts from the first readback, over every judgement of the batch', () => {
    // two judgements, 4 tokens per readback, readbacks at 5 s (after a long prefill), 5.5 s and 6 s
    let m = report(startMeter(), [
      ['shown:0', 4, 5000],
      ['swapped:0', 4, 5001],
    ]);
    expect(tokensPerSecond(m)).toBeNull(); // one burst: no duration yet
    expect(tokensWritten(m)).toBe(8);
    m = report(m, [
      ['shown:0', 8, 5500],
      ['swapped:0', 8, 5500],
      ['shown:0', 12, 6000],
      ['swapped:0', 12, 6001],
    ]);
    expect(tokensWritten(m)).toBe(24);
    expect(tokensPerSecond(m)).toBeCloseTo(16 / 1.001, 6); // 16 tokens after the first readback in 1.001 s
  });

  it('keeps the tokens of a judgement that stopped early', () => {
    const m = report(startMeter(), [
      ['shown:0', 4, 0],
      ['swapped:0', 4, 0],
      ['shown:0', 6, 1000], // ended at <eos>: reports no more
      ['swapped:0', 8, 1000],
      ['swapped:0', 12, 2000],
    ]);
    expect(tokensWritten(m)).toBe(18);
    expect(tokensPerSecond(m)).toBe((2 + 8) / 2);
  });
});

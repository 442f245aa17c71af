// SFT batching: the loss mask covers exactly the trace and <eos> (the prompt is masked), rows are
// padded to the bucketed length, targets are the inputs shifted by one, length grouping keeps every row.
import { describe, expect, it } from 'vitest';
import { defaultTokenizer } from '../engine/tokenizer';
import { encodeExample, lengthBatches, toBatch } from './sft';

const tok = defaultTokenizer();

describe('SFT batches', () => {
  it('masks the prompt and trains on the trace and <eos> only', () => {
    const ex = encodeExample(tok, { pair: { prompt: '2+2?', a: '4', b: '5' }, trace: '<answer>[[A]]</answer>' }, 256);
    const b = toBatch([ex], tok.padId, 16, 256);
    const T = b.ids[0].length;
    expect(T % 16).toBe(0);
    const trained = b.targets[0].filter((_, t) => b.mask[0][t] === 1);
    expect(tok.decode(trained)).toBe('<answer>[[A]]</answer><eos>');
    expect(b.ids[0].slice(1, ex.ids.length - 1)).toEqual(b.targets[0].slice(0, ex.ids.length - 2)); // shifted by one
    expect(b.ids[0][0]).toBe(tok.bosId);
  });

  it('refuses an example longer than the context, naming it', () => {
    expect(() =>
      encodeExample(tok, { pair: { prompt: 'x'.repeat(288), a: '', b: '' }, trace: 'y' }, 256, 'training example 7'),
    ).toThrow(/training example 7: 303 tokens/);
  });

  it('groups by length without losing or repeating rows', () => {
    const rows = Array.from({ length: 37 }, (_, i) => ({ ids: new Array(5 + ((i * 7) % 50)).fill(9), traceStart: 2 }));
    const groups = lengthBatches(rows, 8, 1);
    expect(groups.flat().length).toBe(37);
    expect(new Set(groups.flat()).size).toBe(37);
    const spread = groups.map((g) => Math.max(...g.map((r) => r.ids.length)) - Math.min(...g.map((r) => r.ids.length)));
    expect(Math.max(...spread)).toBeLessThan(15); // sorted chunks: similar lengths together
  });
});

// What must hold for the meta summary: every field appears once, long values are clipped to 160
// characters plus an ellipsis, strings are shown bare, and the world's truth becomes its task kind.
import { describe, expect, it } from 'vitest';
import { metaSummary } from './meta_summary';

describe('metaSummary', () => {
  it('lists each field, clipped, with truth shown as its kind', () => {
    const rows = metaSummary({
      chosen_model: 'gpt-4',
      votes: [1, 2, 0],
      long: 'x'.repeat(500),
      truth: { kind: 'chat', constraints: [] },
    });
    expect(rows.map(([k]) => k)).toEqual(['chosen_model', 'votes', 'long', 'truth']);
    expect(rows[0][1]).toBe('gpt-4');
    expect(rows[1][1]).toBe('[1,2,0]');
    expect(rows[2][1]).toHaveLength(161);
    expect(rows[2][1].endsWith('…')).toBe(true);
    expect(rows[3][1]).toBe('chat task (ground truth for the oracle)');
  });
  it('is empty without meta', () => {
    expect(metaSummary(undefined)).toEqual([]);
  });
});

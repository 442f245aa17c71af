// What must hold for PandaLM import: A = response1, B = response2; the winner is the majority of the three
// votes (0 tie, 1 A, 2 B) and a three-way split is a tie marked 'split'; votes outside {0,1,2} are errors;
// a bare boolean response is read as its string with a warning. On the real file: 999 pairs whose
// tie/A/B counts equal a majority count done here from the raw JSON. Exact checks.
import { describe, expect, it } from 'vitest';
import { readFixture, readSharedData } from './fixtures_node';
import { importDataset } from './index';
import { pandaLmMajority } from './pandalm';

describe('PandaLM importer', () => {
  const r = importDataset(readFixture('pandalm.json'), 'pandalm.json', { onError: 'skip' });

  it('imports 5 of 6 records with majority winners, the split as a tie, the bad vote as an error', () => {
    expect(r.format).toBe('pandalm');
    expect(r.total).toBe(6);
    expect(r.pairs.map((p) => [p.id, p.winner, p.meta?.agreement])).toEqual([
      ['pandalm:0', 'A', 'unanimous'],
      ['pandalm:1', 'B', 'majority'],
      ['pandalm:2', 'tie', 'majority'],
      ['pandalm:3', 'tie', 'majority'],
      ['pandalm:4', 'tie', 'split'],
    ]);
    expect(r.errors).toEqual([{ line: 6, reason: 'field "annotator2" must be 0, 1 or 2, got 3' }]);
  });

  it('builds the prompt from instruction and input, keeps A = response1, B = response2', () => {
    expect(r.pairs[0]).toMatchObject({
      prompt: 'Fix the spelling.\n\nI recieved the pakage.',
      a: 'I received the package.',
      b: 'I recieved the package.',
      subset: 'Toy app',
      meta: { votes: [1, 1, 1], cmp_key: 'tiny-a_tiny-b' },
    });
    expect(r.pairs[1].prompt).toBe('Give a synonym for happy.');
  });

  it('reads a boolean response as its string and warns at its line', () => {
    expect(r.pairs[2].a).toBe('true');
    expect(r.pairs[2].meta?.coerced).toEqual(['response1']);
    expect(r.warnings).toEqual([{ line: 3, reason: 'response1 held a JSON scalar, read as its string form' }]);
  });

  it('takes the majority of three votes', () => {
    expect(pandaLmMajority([2, 2, 2])).toEqual({ winner: 'B', agreement: 'unanimous' });
    expect(pandaLmMajority([1, 0, 1])).toEqual({ winner: 'A', agreement: 'majority' });
    expect(pandaLmMajority([0, 2, 0])).toEqual({ winner: 'tie', agreement: 'majority' });
    expect(pandaLmMajority([2, 0, 1])).toEqual({ winner: 'tie', agreement: 'split' });
  });
});

describe('PandaLM real file (shared data: pandalm/testset-v1.json)', () => {
  const text = readSharedData('pandalm/testset-v1.json');

  it.skipIf(text === undefined)('imports 999 pairs whose tie/A/B counts match the raw votes', () => {
    type Row = { annotator1: number; annotator2: number; annotator3: number };
    const rows = JSON.parse(text!) as Row[];
    const counts = { tie: 0, A: 0, B: 0 };
    for (const row of rows) {
      const v = [row.annotator1, row.annotator2, row.annotator3];
      const n = (x: number) => v.filter((y) => y === x).length;
      if (n(1) >= 2) counts.A++;
      else if (n(2) >= 2) counts.B++;
      else counts.tie++; // two or three zeros, or one vote each
    }

    const r = importDataset(text!, 'testset-v1.json');
    expect(r.errors).toEqual([]);
    expect(r.pairs).toHaveLength(999);
    const got = { tie: 0, A: 0, B: 0 };
    for (const p of r.pairs) got[p.winner]++;
    expect(got).toEqual(counts);
    expect(counts).toEqual({ tie: 105, A: 422, B: 472 });
    // Six responses in the published file are bare `true`; each is kept and warned about.
    expect(r.warnings).toHaveLength(6);
  });
});

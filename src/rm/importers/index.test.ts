// What must hold for importDataset as a whole: each fixture is detected as its own format; an unknown
// format throws naming the fields seen; 'reject' (the default) throws listing bad lines while 'skip'
// returns the valid pairs and the report; duplicate ids are errors; exporting with toJsonl and importing
// again gives back the same pairs, from every source format. Exact checks.
import { describe, expect, it } from 'vitest';
import { CATEGORIES, DIFFICULTIES, toJsonl, WINNERS } from '../pair';
import { readFixture } from './fixtures_node';
import { detectFormat, importDataset } from './index';
import { readRecords } from './records';

const FIXTURES = [
  ['pairs.jsonl', 'pairs'],
  ['rm_r1.jsonl', 'rm-r1'],
  ['rewardbench.jsonl', 'rewardbench'],
  ['rm_bench.json', 'rm-bench'],
  ['judgebench.jsonl', 'judgebench'],
  ['pandalm.json', 'pandalm'],
] as const;

describe('format detection', () => {
  it.each(FIXTURES)('detects %s as %s', (file, format) => {
    expect(detectFormat(readRecords(readFixture(file)).records)).toBe(format);
  });

  it('throws on an unknown format, naming the fields it saw', () => {
    const text = '{"question": "q", "answer": "a"}\n{"question": "r", "score": 1}';
    expect(() => importDataset(text, 'odd.jsonl')).toThrow(
      /odd\.jsonl: unknown dataset format; fields seen: question, answer, score\. Known formats: pairs/,
    );
  });

  it('throws when no line is a record, and obeys a forced format', () => {
    expect(() => importDataset('not json\n', 'x.jsonl')).toThrow(/x\.jsonl: no records: line 1: invalid JSON/);
    const rb = '{"prompt": "p", "chosen": "c", "rejected": "r", "id": 1}';
    expect(() => importDataset(rb, 'x.json', { format: 'judgebench' })).toThrow(/missing field "question"/);
  });
});

describe('skip vs reject', () => {
  const text = readFixture('judgebench.jsonl');

  it("'reject' (the default) throws listing the bad lines and the valid count", () => {
    const message = (() => {
      try {
        importDataset(text, 'jb.jsonl');
      } catch (e) {
        return (e as Error).message;
      }
      return 'no throw';
    })();
    expect(message).toMatch(/^jb\.jsonl: 2 bad record\(s\) in judgebench data \(/);
    expect(message).toMatch(/\(line 5: unknown label "A>C".*; line 6: invalid JSON.*\)/);
    expect(message).toMatch(/import with onError 'skip' to keep the 3 valid pair\(s\)$/);
    expect(() => importDataset(text, 'jb.jsonl', { onError: 'reject' })).toThrow(/2 bad record/);
  });

  it("'skip' returns the valid pairs and the error report", () => {
    const r = importDataset(text, 'jb.jsonl', { onError: 'skip' });
    expect(r.pairs).toHaveLength(3);
    expect(r.errors.map((e) => e.line)).toEqual([5, 6]);
  });

  it('lists at most five bad lines in the message', () => {
    const bad = Array.from({ length: 8 }, () => '{"question": "q", "response_A": "a", "response_B": "b"}').join('\n');
    expect(() => importDataset(bad, 'b.jsonl')).toThrow(/line 5: missing field "label"; …and 3 more/);
  });

  it('reports a repeated id as an error at the later line', () => {
    const line = (id: string) =>
      JSON.stringify({ pair_id: id, question: 'q', response_A: 'a', response_B: 'b', label: 'A>B' });
    const r = importDataset([line('p1'), line('p2'), line('p1')].join('\n'), 'd.jsonl', { onError: 'skip' });
    expect(r.pairs.map((p) => p.id)).toEqual(['judgebench:p1', 'judgebench:p2']);
    expect(r.errors).toEqual([{ line: 3, reason: 'duplicate id "judgebench:p1" (first at line 1)' }]);
  });
});

describe('JSONL export round trip', () => {
  it.each(FIXTURES)('re-imports the pairs from %s unchanged as "pairs" JSONL', (file) => {
    const first = importDataset(readFixture(file), file, { onError: 'skip' });
    const exported = toJsonl(first.pairs);
    const again = importDataset(exported, 'export.jsonl');
    expect(again.format).toBe('pairs');
    expect(again.errors).toEqual([]);
    expect(again.pairs).toEqual(first.pairs);
    expect(toJsonl(again.pairs)).toBe(exported);
  });
});

describe('prototype pollution in evaluation: fields named after object keys', () => {
  const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
  const jsonl = (records: object[]) => records.map((r) => JSON.stringify(r)).join('\n');

  it('labels named after object keys are refused, never looked up as object members', () => {
    const judgeBench = (label: string, n: string) => ({
      pair_id: `${n}${label}`,
      question: n,
      response_A: n,
      response_B: n,
      response_model: n,
      source: n,
      label,
    });
    const jb = importDataset(
      jsonl([...NAMES.map((n) => judgeBench(n, n)), ...NAMES.map((n) => judgeBench('B>A', n))]),
      'jb.jsonl',
      { onError: 'skip' },
    );
    expect(jb.errors.map((e) => e.reason)).toEqual(
      NAMES.map((n) => `unknown label ${JSON.stringify(n)} (expected "A>B" or "B>A")`),
    );
    expect(jb.pairs.map((p) => [p.winner, p.subset, p.category, p.prompt, p.meta])).toEqual(
      NAMES.map((n) => ['B', n, 'reasoning', n, { response_model: n }]),
    );
  });

  it('enumerated fields named after object keys are errors; free text and meta keys are kept as written', () => {
    const allowed = { winner: WINNERS, category: CATEGORIES, difficulty: DIFFICULTIES };
    const fields = ['winner', 'category', 'difficulty'] as const;
    const bad = fields.flatMap((field) =>
      NAMES.map((n) => ({ id: `${n}-${field}`, prompt: n, a: n, b: n, winner: 'A', source: n, [field]: n })),
    );
    const meta = Object.fromEntries(NAMES.map((n) => [n, n])); // own keys, "__proto__" included
    const good = NAMES.map((n) => ({ id: n, prompt: n, a: n, b: n, winner: 'B', subset: n, source: n, meta }));
    const r = importDataset(jsonl([...bad, ...good]), 'p.jsonl', { onError: 'skip' });
    expect(r.errors.map((e) => e.reason)).toEqual(
      fields.flatMap((f) => NAMES.map((n) => `field "${f}" must be one of ${allowed[f].join('|')}, got "${n}"`)),
    );
    expect(r.pairs.map((p) => [p.id, p.subset, p.source, p.winner])).toEqual(NAMES.map((n) => [n, n, n, 'B']));
    for (const p of r.pairs) expect(Object.keys(p.meta!)).toEqual(NAMES);
    expect(importDataset(toJsonl(r.pairs), 'again.jsonl').pairs).toEqual(r.pairs);

    const panda = NAMES.map((n, i) => ({
      idx: n,
      motivation_app: n,
      cmp_key: n,
      instruction: n,
      input: n,
      response1: n,
      response2: n,
      annotator1: i % 3,
      annotator2: i % 3,
      annotator3: 1,
    }));
    const pl = importDataset(JSON.stringify(panda), 'pandalm.json');
    expect(pl.pairs.map((p) => [p.id, p.subset, p.winner, p.meta?.cmp_key])).toEqual(
      NAMES.map((n, i) => [`pandalm:${n}`, n, ['tie', 'A', 'B', 'tie'][i], n]),
    );
  });
});

// What must hold for the Chain-of-Rubrics parser: it never throws and every position it reports lies in
// the text, for every prefix of 300 oracle traces and for 3000 random garblings (deleted, duplicated,
// shuffled spans, random characters and tag fragments); a trace cut before its `</answer>` has no verdict
// under the parser and the RL reward rule; each malformation named in cor_tags.ts is reported at its span;
// a hand-written RM-R1-style trace parses into weighted items, justification and evidence. Exact checks.
import { describe, expect, it } from 'vitest';
import { evalVerdict, parseCor, rewardVerdict, REWARD_TAIL_CHARS, type CorTree, type TagNode } from './cor_parser';
import { oracleTrace } from './oracle';
import { createRng, pick, type Rng } from './rng';
import { generatePairs } from './world';

const pairs = generatePairs({ seed: 31, n: 300 });
const traces = pairs.map((p, i) =>
  oracleTrace(p, i % 6 === 0 ? { layout: 'full' } : i % 6 === 1 ? { quotes: true } : {}),
);

/** Every span the tree reports: 0 ≤ start ≤ end ≤ text length. */
function spansValid(tree: CorTree, n: number): boolean {
  const spans: { start: number; end: number }[] = [...tree.errors];
  const walk = (ns: TagNode[]) =>
    ns.forEach((x) => {
      spans.push(x, { start: x.contentStart, end: x.contentEnd });
      walk(x.children);
    });
  walk(tree.nodes);
  for (const b of [tree.rubric, tree.rubric?.justify, tree.solution, tree.eval, tree.answer]) if (b) spans.push(b);
  spans.push(...(tree.rubric?.items ?? []), ...(tree.eval?.checks ?? []), ...(tree.eval?.evidence ?? []));
  return spans.every(
    (s) => Number.isInteger(s.start) && Number.isInteger(s.end) && s.start >= 0 && s.start <= s.end && s.end <= n,
  );
}

function safeParse(text: string): CorTree {
  let tree: CorTree | undefined;
  expect(() => (tree = parseCor(text))).not.toThrow();
  expect(tree!.errors.filter((e) => e.kind === 'internal')).toEqual([]);
  expect(spansValid(tree!, text.length), text).toBe(true);
  return tree!;
}

const FRAGMENTS = [
  '<',
  '>',
  '/',
  '</',
  '<answer>',
  '</answer>',
  '[[A]]',
  '[[B]]',
  '<rubric>',
  '</eval>',
  '<quote_A>',
  '<justify>',
  '\n',
  '1A:ok',
  '%',
  '<type>',
];

function garble(rng: Rng, s: string): string {
  const i = rng.int(s.length + 1),
    j = Math.min(s.length, i + rng.int(40));
  switch (rng.int(5)) {
    case 0:
      return s.slice(0, i) + s.slice(j); // delete a span
    case 1:
      return s.slice(0, j) + s.slice(i, j) + s.slice(j); // duplicate a span
    case 2: {
      // cut into pieces and shuffle them
      const cuts = [0, ...Array.from({ length: 3 }, () => rng.int(s.length + 1)).sort((x, y) => x - y), s.length];
      const pieces = cuts.slice(1).map((c, k) => s.slice(cuts[k], c));
      return pieces.sort(() => rng.next() - 0.5).join('');
    }
    case 3:
      return (
        s.slice(0, i) +
        Array.from({ length: 1 + rng.int(6) }, () => String.fromCharCode(32 + rng.int(95))).join('') +
        s.slice(i)
      );
    default:
      return s.slice(0, i) + pick(rng, FRAGMENTS) + s.slice(i);
  }
}

describe('parseCor: properties', () => {
  it('every prefix of 300 oracle traces: no throw, valid spans, no verdict before the full answer', () => {
    for (const t of traces) {
      for (let n = 0; n < t.length; n++) {
        const cut = t.slice(0, n);
        expect(safeParse(cut).verdict, cut).toBeNull();
        expect(rewardVerdict(cut)).toBeNull();
      }
      expect(safeParse(t).verdict).not.toBeNull();
    }
  });

  it('3000 random garblings (10 per trace, stacked 1–3 deep): no throw, valid spans', () => {
    const rng = createRng(7);
    for (const t of traces) {
      for (let k = 0; k < 10; k++) {
        let s = t;
        for (let d = 1 + rng.int(3); d > 0; d--) s = garble(rng, s);
        safeParse(s);
      }
    }
  });

  it('survives odd inputs: empty, only tags, non-ASCII, a non-string', () => {
    for (const s of [
      '',
      '<',
      '</answer>',
      '<answer>',
      '<<type>>',
      '<type></type><type>',
      'héllo [[A]] ✓',
      '<eval><eval><eval>',
    ])
      safeParse(s);
    expect(parseCor(undefined as unknown as string).verdict).toBeNull(); // as a caller outside TypeScript may
  });
});

const kinds = (t: CorTree) => t.errors.map((e) => e.kind);
const GOOD =
  '<type>Chat</type><rubric>1.3 words 50%\n2.all caps 50%<justify>from Q</justify></rubric><eval>1A:ok 1B:no ' +
  '2A:ok 2B:ok</eval><answer>[[A]]</answer>';

describe('parseCor: our compact dialect', () => {
  it('builds the rubric tree of a clean trace', () => {
    const t = parseCor(GOOD);
    expect(t.errors).toEqual([]);
    expect(t.type).toBe('Chat');
    expect(t.rubric!.items.map(({ index, text, weight }) => ({ index, text, weight }))).toEqual([
      { index: 1, text: '3 words', weight: 50 },
      { index: 2, text: 'all caps', weight: 50 },
    ]);
    expect(GOOD.slice(t.rubric!.items[0].start, t.rubric!.items[0].end)).toBe('3 words 50%');
    expect(t.rubric!.justify!.text).toBe('from Q');
    expect(t.eval!.checks.map((c) => `${c.rubric}${c.response}:${c.verdict}`)).toEqual([
      '1A:ok',
      '1B:no',
      '2A:ok',
      '2B:ok',
    ]);
    expect(GOOD.slice(t.eval!.checks[1].start, t.eval!.checks[1].end)).toBe('1B:no');
    expect(t.verdict).toBe('A');
  });

  it('reads reasoning checks with the stated answer', () => {
    const t = parseCor(
      '<type>Reasoning</type><solution>3+8=11,2+5+1=8:81</solution><eval>A:71 ' +
        'wrong B:81 right</eval><answer>[[B]]</answer>',
    );
    expect(t.errors).toEqual([]);
    expect(t.solution!.text).toBe('3+8=11,2+5+1=8:81');
    expect(t.eval!.checks.map(({ response, value, verdict }) => ({ response, value, verdict }))).toEqual([
      { response: 'A', value: '71', verdict: 'wrong' },
      { response: 'B', value: '81', verdict: 'right' },
    ]);
  });

  it('reports each malformation at its span', () => {
    const unclosed = parseCor(GOOD.replace('</rubric>', ''));
    expect(kinds(unclosed)).toEqual(['unclosed']);
    expect(unclosed.errors[0].start).toBe(GOOD.indexOf('<rubric>'));
    expect(unclosed.errors[0].end).toBe(GOOD.indexOf('<eval>') - '</rubric>'.length);
    expect(unclosed.verdict).toBe('A');

    const noAnswer = parseCor(GOOD.slice(0, GOOD.indexOf('<answer>')));
    expect(kinds(noAnswer)).toEqual(['missing_answer']);
    expect(noAnswer.verdict).toBeNull();

    const both = parseCor(GOOD.replace('[[A]]', '[[A]] or [[B]]'));
    expect(kinds(both)).toEqual(['both_verdicts']);
    expect(both.verdict).toBeNull();
    expect(parseCor(GOOD.replace('[[A]]', 'A')).errors.map((e) => e.kind)).toEqual(['no_verdict']);

    const trailing = parseCor(`${GOOD} and more`);
    expect(kinds(trailing)).toEqual(['trailing_text']);
    expect(`${GOOD} and more`.slice(trailing.errors[0].start, trailing.errors[0].end)).toBe('and more');
    expect(trailing.verdict).toBe('A');

    const misplaced = parseCor(GOOD.replace('</eval>', '<justify>x</justify></eval>'));
    expect(kinds(misplaced)).toEqual(['misplaced']);

    const stray = parseCor(GOOD.replace('</type>', '</type></solution>'));
    expect(kinds(stray)).toEqual(['stray_close']);

    const twice = parseCor(`${GOOD}<answer>[[B]]</answer>`);
    expect(kinds(twice)).toEqual(['duplicate', 'duplicate']);
    expect(twice.verdict).toBeNull();

    const partial = parseCor(GOOD.slice(0, -3));
    expect(kinds(partial)).toEqual(['unclosed', 'partial_tag']);
    expect(partial.verdict).toBeNull();

    expect(kinds(parseCor(GOOD.replace('Chat', 'Poem')))).toEqual(['bad_type']);
    expect(kinds(parseCor(GOOD.replace('<type>Chat</type>', '')))).toEqual(['missing_type']);
    expect(kinds(parseCor(`hello ${GOOD}`))).toEqual(['stray_text']);
    expect(kinds(parseCor(GOOD.replace('Chat', 'Reasoning')))).toEqual(['type_mismatch']);
    const late = `${GOOD.replace('<type>Chat</type>', '')}<type>Chat</type>`;
    expect(kinds(parseCor(late))).toContain('order');
  });

  it('closes blocks left open when the next block starts (nested/garbled tags)', () => {
    const t = parseCor('<type>Chat</type><rubric>1.x 100%<justify>y<eval>1A:ok 1B:no</eval><answer>[[A]]</answer>');
    expect(kinds(t)).toEqual(['unclosed', 'unclosed']);
    expect(t.rubric!.justify!.text).toBe('y');
    expect(t.eval!.checks).toHaveLength(2);
    expect(t.verdict).toBe('A');
  });
});

/** A full-size trace in the layout RM-R1's Qwen2.5-Instruct judges write (spec/rm-r1.md §1), by hand. */
const RM_R1_TRACE = `<type>Chat</type>
<rubric>
1. **Accuracy of information (40%)**: The response must give the right boiling point of water at altitude.
2. **Explanation of the cause (30%)**: It should say why the boiling point drops.
   - Mentions lower air pressure.
3. **Clarity and organization (20%)**: Clear structure, no rambling.
4. **Tone (10%)**: Friendly and helpful.

<justify>
Accuracy carries the most weight because a wrong number would mislead the client; the cause comes next since the
client asked "why"; clarity and tone matter less for a factual question.
</justify>
</rubric>

<eval>
**Accuracy:** Chatbot A states <quote_A>water boils at about 90°C at 3,000 m</quote_A>, which is right. Chatbot B
claims <quote_B>water boils at a higher temperature in the mountains</quote_B>, which is wrong.

**Explanation:** <summary_A>Chatbot A explains the role of lower air pressure.</summary_A> <summary_B>Chatbot B gives
no reason at all.</summary_B>

**Clarity and tone:** Both are readable and polite, but A is better organized.
</eval>

<answer>[[A]]</answer>`;

describe('parseCor: a real RM-R1-style trace', () => {
  const t = parseCor(RM_R1_TRACE);
  it('parses into weighted items, justification and evidence, with no errors', () => {
    expect(t.errors).toEqual([]);
    expect(t.type).toBe('Chat');
    expect(t.rubric!.items.map((i) => [i.index, i.weight])).toEqual([
      [1, 40],
      [2, 30],
      [3, 20],
      [4, 10],
    ]);
    expect(t.rubric!.items[0].text).toBe(
      'Accuracy of information: The response must give the right boiling point of water at altitude.',
    );
    expect(t.rubric!.items[1].text).toContain('Mentions lower air pressure.');
    expect(t.rubric!.justify!.text).toContain('Accuracy carries the most weight');
    expect(t.eval!.evidence.map((e) => `${e.kind}_${e.response}`)).toEqual([
      'quote_A',
      'quote_B',
      'summary_A',
      'summary_B',
    ]);
    expect(t.eval!.evidence[0].text).toBe('water boils at about 90°C at 3,000 m');
    expect(t.eval!.checks).toEqual([]); // prose, not `1A:ok` checks
    expect(t.verdict).toBe('A');
  });
});

describe('verdict conventions', () => {
  it('rewardVerdict reads only the last 80 characters, and needs exactly one tagged verdict', () => {
    expect(rewardVerdict(GOOD)).toBe('A');
    expect(rewardVerdict(GOOD + 'x'.repeat(REWARD_TAIL_CHARS - '<answer>[[A]]</answer>'.length))).toBe('A');
    expect(rewardVerdict(GOOD + 'x'.repeat(REWARD_TAIL_CHARS - '<answer>[[A]]</answer>'.length + 1))).toBeNull();
    expect(rewardVerdict('<answer>[[A]]</answer><answer>[[B]]</answer>')).toBeNull();
    expect(rewardVerdict('the answer is [[B]]')).toBeNull();
    expect(rewardVerdict('<answer>[[B]]</answer><|im_end|>')).toBe('B');
  });

  it('evalVerdict reads a bare [[A]]/[[B]] anywhere; both or neither → null', () => {
    expect(evalVerdict(`I pick [[B]] because ... ${'x'.repeat(500)}`)).toBe('B');
    expect(evalVerdict('[[A]] then [[B]]')).toBeNull();
    expect(evalVerdict('no verdict')).toBeNull();
  });
});

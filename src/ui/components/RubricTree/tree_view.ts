// What the rubric tree draws, computed from a parsed trace without React: which errors to show (a trace
// still streaming is expected to hold unclosed tags and no answer yet), each rubric item with its checks,
// the checks and evidence left for the comparison node, and the raw trace cut at error boundaries so the
// malformed spans can be highlighted where they occur. Leaves out parsing (rm/cor_parser.ts) and markup.
import type { Check, CorError, CorErrorKind, CorTree, Evidence, RubricItem } from '../../../rm/cor_parser';

/** Errors every unfinished trace has; shown only once the stream has ended. */
export const EXPECTED_WHILE_STREAMING: ReadonlySet<CorErrorKind> = new Set([
  'unclosed',
  'partial_tag',
  'missing_answer',
  'missing_type',
]);

export function visibleErrors(tree: CorTree, streaming: boolean): CorError[] {
  return streaming ? tree.errors.filter((e) => !EXPECTED_WHILE_STREAMING.has(e.kind)) : tree.errors;
}

/** A check's verdict word as good or bad (for colour); unknown words stay neutral. */
export function checkTone(c: Check): 'good' | 'bad' | 'neutral' {
  const v = c.verdict ?? '';
  if (['ok', 'yes', 'right', 'correct', 'pass', 'meets'].includes(v)) return 'good';
  if (['no', 'wrong', 'incorrect', 'fail', 'fails'].includes(v)) return 'bad';
  return 'neutral';
}

export interface ItemView {
  item: RubricItem;
  checks: Check[];
}
export interface Branches {
  items: ItemView[]; // rubric items with the checks that name them (`1A:ok` → item 1)
  loose: Check[]; // checks of whole responses (`A:71 wrong`) or naming no item
  evidence: Evidence[]; // quotes and summaries not already shown under a check
}

export function branchesOf(tree: CorTree): Branches {
  const checks = tree.eval?.checks ?? [];
  const items = (tree.rubric?.items ?? []).map((item) => ({
    item,
    checks: checks.filter((c) => c.rubric === item.index),
  }));
  const placed = new Set(items.flatMap((v) => v.checks));
  const quoted = new Set(checks.flatMap((c) => (c.quote !== undefined ? [`${c.response}\u0000${c.quote}`] : [])));
  return {
    items,
    loose: checks.filter((c) => !placed.has(c)),
    evidence: (tree.eval?.evidence ?? []).filter(
      (e) => !(e.kind === 'quote' && quoted.has(`${e.response}\u0000${e.text}`)),
    ),
  };
}

/** A piece of the raw trace; `errors` indexes the errors whose span covers it. */
export interface Segment {
  start: number;
  end: number;
  text: string;
  errors: number[];
}
/** A zero-width error (e.g. "no <answer> block" at the end) drawn as a marker at its position. */
export interface Point {
  at: number;
  errors: number[];
}

/** The text cut at every error boundary, each piece with the errors covering it, plus point errors. */
export function markedSegments(text: string, errors: CorError[]): { segments: Segment[]; points: Point[] } {
  const clamp = (x: number) => Math.max(0, Math.min(text.length, x));
  const spans = errors.map((e, i) => ({ i, start: clamp(e.start), end: clamp(e.end) }));
  const cuts = [...new Set([0, text.length, ...spans.flatMap((s) => [s.start, s.end])])].sort((a, b) => a - b);
  const segments: Segment[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const [start, end] = [cuts[k], cuts[k + 1]];
    segments.push({
      start,
      end,
      text: text.slice(start, end),
      errors: spans.filter((s) => s.start <= start && s.end >= end && s.end > s.start).map((s) => s.i),
    });
  }
  const points = new Map<number, number[]>();
  for (const s of spans) if (s.start === s.end) points.set(s.start, [...(points.get(s.start) ?? []), s.i]);
  return { segments, points: [...points].map(([at, errs]) => ({ at, errors: errs })).sort((a, b) => a.at - b.at) };
}

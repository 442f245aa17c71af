// The Chain-of-Rubrics parser: any judge output (our compact dialect or a real RM-R1 model's full trace)
// → a rubric tree: type → rubric items (weight, justification) or solution → per-response checks and
// quoted evidence → verdict, all with character positions. It never throws; malformed spans become errors.
// Also RM-R1's two verdict conventions by name: the RL reward's tail match and the eval's bare match.

import { buildTagTree, ownText, type CorError, type CorTag, type TagNode } from './cor_tags';

export type { CorError, CorErrorKind, TagNode } from './cor_tags';

export type Verdict = 'A' | 'B';

export interface RubricItem {
  index: number;
  /** The item without its weight, trimmed. */
  text: string;
  /** Percent, e.g. 40 for "(40%)". */
  weight?: number;
  start: number;
  end: number;
}

export interface Check {
  /** The rubric item checked (`1A:ok`), absent for a whole-response check (`A:71 wrong`). */
  rubric?: number;
  response: Verdict;
  /** ok/no/right/wrong/… as written, lower-cased. */
  verdict?: string;
  /** What the response says, when stated (`A:71 wrong` → 71). */
  value?: string;
  /** Evidence quoted right after the check. */
  quote?: string;
  start: number;
  end: number;
}

export interface Evidence {
  response: Verdict;
  kind: 'quote' | 'summary';
  text: string;
  start: number;
  end: number;
}

export interface Block {
  text: string;
  start: number;
  end: number;
}

export interface CorTree {
  type: 'Chat' | 'Reasoning' | null;
  rubric?: Block & { items: RubricItem[]; justify?: Block };
  solution?: Block;
  eval?: Block & { checks: Check[]; evidence: Evidence[] };
  answer?: Block;
  /** Exactly one closed <answer> holding exactly one of [[A]] / [[B]]; otherwise null. */
  verdict: Verdict | null;
  errors: CorError[];
  /** The raw tag tree, for views that draw every span. */
  nodes: TagNode[];
}

const VERDICT_WORDS = new Set([
  'ok',
  'no',
  'yes',
  'right',
  'wrong',
  'correct',
  'incorrect',
  'pass',
  'fail',
  'meets',
  'fails',
]);
/** `1A:ok`, `A: 71 wrong`, `2B: no,` — a check needs a verdict word, so prose like "Chatbot A: The…" is skipped. */
const CHECK_RE = /(?<![A-Za-z0-9_])(\d+)?([AB])[ \t]*:[ \t]*([^\s<]+)(?:[ \t]+([A-Za-z]+)(?![A-Za-z:]))?/dg;
const ITEM_RE = /^[ \t]*(?:[-*][ \t]*)?(?:\*\*)?(?:criterion[ \t]*)?(\d+)[ \t]*[.):]/i;
const BULLET_RE = /^[ \t]*[-*•][ \t]+/;
const WEIGHT_RE = /\s*\(?\s*(?:weight\s*:?\s*)?(\d+(?:\.\d+)?)\s*%\s*\)?/i;
const RANK: Partial<Record<CorTag, number>> = { type: 0, rubric: 1, solution: 1, eval: 2, answer: 3 };

function blockOf(n: TagNode, text: string): Block {
  return { text: text.slice(n.contentStart, n.contentEnd), start: n.start, end: n.end };
}

function err(kind: CorError['kind'], message: string, start: number, end: number): CorError {
  return { kind, message, start, end };
}

/** Lines of the given segments with absolute positions. */
function linesOf(segs: { start: number; text: string }[]): { start: number; text: string }[] {
  const out: { start: number; text: string }[] = [];
  for (const s of segs) {
    let at = 0;
    for (const line of s.text.split('\n')) {
      out.push({ start: s.start + at, text: line });
      at += line.length + 1;
    }
  }
  return out;
}

function rubricItems(node: TagNode, text: string): RubricItem[] {
  const lines = linesOf(ownText(node, text));
  const numbered = lines.some((l) => ITEM_RE.test(l.text));
  const heads = lines.map((l) => (numbered ? ITEM_RE.exec(l.text) : BULLET_RE.exec(l.text)));
  const items: RubricItem[] = [];
  lines.forEach((l, i) => {
    const m = heads[i];
    if (m) {
      const index = numbered ? Number(m[1]) : items.length + 1;
      items.push({
        index,
        text: l.text.slice(m[0].length),
        start: l.start + m[0].length,
        end: l.start + l.text.length,
      });
    } else if (items.length > 0 && l.text.trim() !== '') {
      const last = items[items.length - 1]; // a continuation line of the previous item
      last.text += `\n${l.text}`;
      last.end = l.start + l.text.length;
    }
  });
  return items.map((it) => {
    const w = WEIGHT_RE.exec(it.text);
    const clean = (w ? it.text.slice(0, w.index) + it.text.slice(w.index + w[0].length) : it.text)
      .replace(/\*\*/g, '')
      .trim();
    return { ...it, text: clean, ...(w ? { weight: Number(w[1]) } : {}) };
  });
}

function evidenceOf(node: TagNode, text: string): Evidence[] {
  return node.children.flatMap((c): Evidence[] => {
    const m = /^(quote|summary)_([AB])$/.exec(c.tag);
    return m
      ? [
          {
            kind: m[1] as 'quote' | 'summary',
            response: m[2] as Verdict,
            text: text.slice(c.contentStart, c.contentEnd),
            start: c.start,
            end: c.end,
          },
        ]
      : [];
  });
}

function checksOf(node: TagNode, text: string, evidence: Evidence[]): Check[] {
  const checks: Check[] = [];
  for (const seg of ownText(node, text)) {
    for (const m of seg.text.matchAll(CHECK_RE)) {
      const first = m[3].replace(/[.,;!]+$/, '').toLowerCase();
      const next = m[4]?.toLowerCase();
      const isWord = VERDICT_WORDS.has(first);
      if (!isWord && !(next && VERDICT_WORDS.has(next))) continue;
      // A check ends after its verdict word: `1A:ok` stops at "ok" even when a word follows.
      const [s0, e0] = m.indices![0],
        e3 = m.indices![3][1];
      checks.push({
        ...(m[1] ? { rubric: Number(m[1]) } : {}),
        response: m[2] as Verdict,
        verdict: isWord ? first : next,
        ...(isWord ? {} : { value: m[3].replace(/[.,;]+$/, '') || m[3] }), // `1A:. ok` observed a full stop
        start: seg.start + s0,
        end: seg.start + (isWord ? e3 : e0),
      });
    }
  }
  // A quote right after a check (only spaces or punctuation between) is that check's evidence.
  for (const e of evidence) {
    const c = checks.filter((k) => k.response === e.response && k.end <= e.start).at(-1);
    if (c && e.kind === 'quote' && /^[\s.,;:]*$/.test(text.slice(c.end, e.start))) c.quote = e.text;
  }
  return checks;
}

function verdictOf(answers: TagNode[], text: string, errors: CorError[]): Verdict | null {
  if (answers.length === 0) {
    errors.push(err('missing_answer', 'no <answer> block', text.length, text.length));
    return null;
  }
  if (answers.length > 1) {
    errors.push(err('duplicate', 'more than one <answer> block', answers[1].start, answers[1].end));
    return null;
  }
  const a = answers[0];
  if (!a.closed) return null; // already reported as unclosed: a cut-off answer is no verdict
  const body = text.slice(a.contentStart, a.contentEnd);
  const hasA = body.includes('[[A]]'),
    hasB = body.includes('[[B]]');
  if (hasA && hasB) errors.push(err('both_verdicts', '<answer> holds both [[A]] and [[B]]', a.start, a.end));
  else if (!hasA && !hasB) errors.push(err('no_verdict', '<answer> holds neither [[A]] nor [[B]]', a.start, a.end));
  return hasA === hasB ? null : hasA ? 'A' : 'B';
}

/** Top-level checks: one of each block, in order, the type named and matching its branch, no stray text. */
function structureErrors(roots: TagNode[], text: string, errors: CorError[]): void {
  const seen = new Set<CorTag>();
  let rank = -1;
  for (const n of roots) {
    if (seen.has(n.tag)) errors.push(err('duplicate', `a second <${n.tag}> block`, n.start, n.end));
    seen.add(n.tag);
    const r = RANK[n.tag] ?? rank;
    if (r < rank) errors.push(err('order', `<${n.tag}> comes after a later block`, n.start, n.end));
    rank = Math.max(rank, r);
  }
  // Non-blank text between, before or after the blocks; after the last answer it is trailing text.
  const lastAnswer = roots.filter((n) => n.tag === 'answer').at(-1);
  const gaps: [number, number][] = [];
  let at = 0;
  for (const n of roots) {
    gaps.push([at, n.start]);
    at = n.end;
  }
  gaps.push([at, text.length]);
  // Stray close tags are reported already; blank them so they do not count as stray text too.
  let plain = text;
  for (const x of errors)
    if (x.kind === 'stray_close') plain = plain.slice(0, x.start) + ' '.repeat(x.end - x.start) + plain.slice(x.end);
  for (const [s, e] of gaps) {
    const piece = plain.slice(s, e);
    if (piece.trim() === '') continue;
    const from = s + piece.length - piece.trimStart().length,
      to = e - (piece.length - piece.trimEnd().length);
    const after = lastAnswer !== undefined && s >= lastAnswer.end;
    errors.push(
      err(after ? 'trailing_text' : 'stray_text', after ? 'text after the answer' : 'text outside any block', from, to),
    );
  }
}

function parse(text: string): CorTree {
  const { roots, errors } = buildTagTree(text);
  const first = (tag: CorTag) => roots.find((n) => n.tag === tag);
  const tree: CorTree = { type: null, verdict: null, errors, nodes: roots };
  const typeNode = first('type');
  if (!typeNode) errors.push(err('missing_type', 'no <type> block', 0, 0));
  else {
    const t = text.slice(typeNode.contentStart, typeNode.contentEnd).trim().toLowerCase();
    tree.type = t === 'chat' ? 'Chat' : t === 'reasoning' ? 'Reasoning' : null;
    if (tree.type === null && typeNode.closed)
      errors.push(err('bad_type', 'type is neither Chat nor Reasoning', typeNode.start, typeNode.end));
  }
  const rubric = first('rubric'),
    solution = first('solution'),
    evalNode = first('eval'),
    answer = first('answer');
  if (rubric) {
    const j = rubric.children.filter((c) => c.tag === 'justify');
    j.slice(1).forEach((d) => errors.push(err('duplicate', 'a second <justify> block', d.start, d.end)));
    tree.rubric = {
      ...blockOf(rubric, text),
      items: rubricItems(rubric, text),
      ...(j[0] ? { justify: blockOf(j[0], text) } : {}),
    };
  }
  if (solution) tree.solution = blockOf(solution, text);
  if (evalNode) {
    const evidence = evidenceOf(evalNode, text);
    tree.eval = { ...blockOf(evalNode, text), evidence, checks: checksOf(evalNode, text, evidence) };
  }
  if (answer) tree.answer = blockOf(answer, text);
  const wrong = (tree.type === 'Chat' && solution && !rubric) || (tree.type === 'Reasoning' && rubric && !solution);
  if (wrong)
    errors.push(
      err(
        'type_mismatch',
        `a ${tree.type} trace should hold <${tree.type === 'Chat' ? 'rubric' : 'solution'}>`,
        (solution ?? rubric)!.start,
        (solution ?? rubric)!.end,
      ),
    );
  structureErrors(roots, text, errors);
  tree.verdict = verdictOf(
    roots.filter((n) => n.tag === 'answer'),
    text,
    errors,
  );
  return tree;
}

/** The rubric tree of any text. Never throws: an internal failure becomes one 'internal' error. */
export function parseCor(text: string): CorTree {
  const s = typeof text === 'string' ? text : String(text);
  try {
    return parse(s);
  } catch (e) {
    return {
      type: null,
      verdict: null,
      nodes: [],
      errors: [err('internal', `parser failure: ${(e as Error)?.message ?? e}`, 0, s.length)],
    };
  }
}

/** RM-R1's RL reward window: only the last 80 characters are read (spec/rm-r1.md §2). */
export const REWARD_TAIL_CHARS = 80;

/**
 * The verdict RM-R1's RL reward sees: in the last 80 characters, `<answer>[[X]]</answer>` present for
 * exactly one X. Reward = +1 when it equals the label, else −1 (missing, cut off, both: −1).
 */
export function rewardVerdict(text: string): Verdict | null {
  const tail = text.slice(-REWARD_TAIL_CHARS);
  const a = tail.includes('<answer>[[A]]</answer>'),
    b = tail.includes('<answer>[[B]]</answer>');
  return a === b ? null : a ? 'A' : 'B';
}

/** The verdict RM-R1's evaluation reads: a bare `[[A]]` or `[[B]]` anywhere in the output; both or neither → null. */
export function evalVerdict(text: string): Verdict | null {
  const a = text.includes('[[A]]'),
    b = text.includes('[[B]]');
  return a === b ? null : a ? 'A' : 'B';
}

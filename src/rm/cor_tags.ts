// The tag layer of the Chain-of-Rubrics parser: finds RM-R1's tags in any text and builds a tree of tag
// nodes with character positions, recovering from unclosed, stray and misplaced tags instead of failing.
// Leaves out what the blocks mean (cor_parser.ts). Positions are UTF-16 offsets, spans half-open [start, end).

export const COR_TAGS = [
  'type',
  'rubric',
  'justify',
  'solution',
  'eval',
  'quote_A',
  'summary_A',
  'quote_B',
  'summary_B',
  'answer',
] as const;
export type CorTag = (typeof COR_TAGS)[number];

export type CorErrorKind =
  | 'unclosed'
  | 'stray_close'
  | 'misplaced'
  | 'partial_tag'
  | 'duplicate'
  | 'missing_type'
  | 'bad_type'
  | 'type_mismatch'
  | 'order'
  | 'missing_answer'
  | 'no_verdict'
  | 'both_verdicts'
  | 'stray_text'
  | 'trailing_text'
  | 'internal';

export interface CorError {
  kind: CorErrorKind;
  message: string;
  start: number;
  end: number;
}

export interface TagNode {
  tag: CorTag;
  /** At the `<` of the open tag. */
  start: number;
  /** Just after the open tag. */
  contentStart: number;
  /** At the close tag, or where the node was cut off when it was never closed. */
  contentEnd: number;
  /** Just after the close tag, or equal to contentEnd when unclosed. */
  end: number;
  closed: boolean;
  children: TagNode[];
}

const ROOT_TAGS: ReadonlySet<CorTag> = new Set(['type', 'rubric', 'solution', 'eval', 'answer']);
const EVIDENCE_TAGS: ReadonlySet<CorTag> = new Set(['quote_A', 'summary_A', 'quote_B', 'summary_B']);

/** Where each tag belongs: null is the top level. */
function allowedIn(tag: CorTag, parent: CorTag | null): boolean {
  if (parent === null) return ROOT_TAGS.has(tag);
  if (parent === 'rubric') return tag === 'justify';
  if (parent === 'eval') return EVIDENCE_TAGS.has(tag);
  return false;
}

const TAG_RE = new RegExp(`<(/?)(${COR_TAGS.join('|')})>`, 'g');

/** Every complete tag in the text, in order. */
function scan(text: string): { close: boolean; tag: CorTag; start: number; end: number }[] {
  const out: { close: boolean; tag: CorTag; start: number; end: number }[] = [];
  for (const m of text.matchAll(TAG_RE)) {
    out.push({ close: m[1] === '/', tag: m[2] as CorTag, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** A text ending in the first characters of a tag (`</ans`): the mark of a cut-off generation. */
function partialTagAt(text: string): number | null {
  const lt = text.lastIndexOf('<');
  if (lt < 0 || text.length - lt < 2 || text.indexOf('>', lt) >= 0) return null;
  const tail = text.slice(lt);
  const hit = COR_TAGS.some((t) => `<${t}>`.startsWith(tail) || `</${t}>`.startsWith(tail));
  return hit ? lt : null;
}

export interface TagTree {
  roots: TagNode[];
  errors: CorError[];
}

/** The tag tree of a text. Never throws on any input string. */
export function buildTagTree(text: string): TagTree {
  const roots: TagNode[] = [];
  const errors: CorError[] = [];
  const stack: TagNode[] = [];
  const cut = (node: TagNode, at: number) => {
    node.contentEnd = Math.max(node.contentStart, at);
    node.end = node.contentEnd;
    errors.push({ kind: 'unclosed', message: `<${node.tag}> is never closed`, start: node.start, end: node.end });
  };
  for (const t of scan(text)) {
    if (!t.close) {
      const top = stack.at(-1) ?? null;
      const node: TagNode = {
        tag: t.tag,
        start: t.start,
        contentStart: t.end,
        contentEnd: t.end,
        end: t.end,
        closed: false,
        children: [],
      };
      if (!allowedIn(t.tag, top?.tag ?? null)) {
        // A block tag inside another block means the open ones were never closed: close them here.
        // A nested tag whose rightful parent is further up closes the ones in between the same way.
        const k = ROOT_TAGS.has(t.tag) ? -1 : stack.findLastIndex((n) => allowedIn(t.tag, n.tag));
        if (ROOT_TAGS.has(t.tag) || k >= 0) {
          while (stack.length > k + 1) cut(stack.pop()!, t.start);
        } else {
          errors.push({
            kind: 'misplaced',
            message: `<${t.tag}> does not belong ${top ? `inside <${top.tag}>` : 'at the top level'}`,
            start: t.start,
            end: t.end,
          });
        }
      }
      const parent = stack.at(-1);
      (parent ? parent.children : roots).push(node);
      stack.push(node);
      continue;
    }
    const k = stack.findLastIndex((n) => n.tag === t.tag);
    if (k < 0) {
      errors.push({ kind: 'stray_close', message: `</${t.tag}> closes nothing`, start: t.start, end: t.end });
      continue;
    }
    while (stack.length > k + 1) cut(stack.pop()!, t.start);
    const node = stack.pop()!;
    node.contentEnd = t.start;
    node.end = t.end;
    node.closed = true;
  }
  while (stack.length > 0) cut(stack.pop()!, text.length);
  const p = partialTagAt(text);
  if (p !== null)
    errors.push({ kind: 'partial_tag', message: 'the text ends inside a tag', start: p, end: text.length });
  return { roots, errors };
}

/** The node's own text, children left out, as segments with their start positions. */
export function ownText(node: TagNode, text: string): { start: number; text: string }[] {
  const segs: { start: number; text: string }[] = [];
  let at = node.contentStart;
  for (const c of node.children) {
    if (c.start > at) segs.push({ start: at, text: text.slice(at, c.start) });
    at = Math.max(at, c.end);
  }
  if (node.contentEnd > at) segs.push({ start: at, text: text.slice(at, node.contentEnd) });
  return segs;
}

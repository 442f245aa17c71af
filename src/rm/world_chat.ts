// Synthetic `chat` and `chat-hard` pairs: an instruction with one to three checkable constraints (word
// count, letter case, a required word, the ending mark, a comma list). The chosen response keeps all of
// them; the rejected one breaks exactly one, clearly (chat) or subtly (chat-hard: one word off, one
// comma missing, one word's case, a look-alike word or mark). Leaves out A/B placement and length balance.

import { chance, intIn, pick, sample, type Rng } from './rng';
import type { ChatTruth, Constraint, ConstraintKind, Drawn } from './world_truth';

export interface ChatKnobs {
  /** Most constraints per instruction (1–3); chat-hard uses at least 2 when this allows. */
  maxConstraints: number;
  /** Most words in a response (≥ 3). */
  maxWords: number;
}

/** Banks share first letters so a subtle break can swap a word for a look-alike neighbour. */
export const TOPICS: readonly { task: string; words: readonly string[] }[] = [
  { task: 'Name fruits', words: ['apple', 'pear', 'peach', 'plum', 'fig', 'lime', 'lemon', 'mango', 'melon', 'kiwi'] },
  { task: 'Name colors', words: ['red', 'blue', 'black', 'green', 'gray', 'gold', 'pink', 'teal', 'tan', 'white'] },
  { task: 'Name animals', words: ['cat', 'cow', 'dog', 'duck', 'fox', 'frog', 'owl', 'bee', 'bear', 'yak'] },
  {
    task: 'Describe the sea',
    words: ['blue', 'deep', 'dark', 'cold', 'calm', 'wide', 'wild', 'vast', 'salty', 'still'],
  },
  { task: 'Describe a cat', words: ['soft', 'small', 'sly', 'warm', 'wise', 'calm', 'cute', 'lazy', 'lean', 'quick'] },
  { task: 'Name tools', words: ['saw', 'axe', 'awl', 'drill', 'file', 'hammer', 'hoe', 'rake', 'rasp', 'vise'] },
  { task: 'Describe winter', words: ['cold', 'crisp', 'white', 'wet', 'dark', 'dim', 'icy', 'still', 'snowy', 'long'] },
  { task: 'Name drinks', words: ['tea', 'tonic', 'milk', 'mead', 'juice', 'water', 'wine', 'soda', 'sake', 'cocoa'] },
  {
    task: 'Name sports',
    words: ['golf', 'polo', 'judo', 'chess', 'tennis', 'rugby', 'rowing', 'squash', 'skiing', 'karate'],
  },
  {
    task: 'Describe a city',
    words: ['busy', 'big', 'loud', 'lively', 'bright', 'old', 'open', 'vast', 'noisy', 'neat'],
  },
  { task: 'Name birds', words: ['owl', 'hen', 'hawk', 'crow', 'crane', 'duck', 'dove', 'swan', 'robin', 'rook'] },
  {
    task: 'Describe bread',
    words: ['warm', 'fresh', 'firm', 'soft', 'sweet', 'brown', 'crusty', 'light', 'plain', 'stale'],
  },
];

const KINDS: readonly ConstraintKind[] = ['count', 'case', 'word', 'end', 'comma'];
const MARKS = ['!', '.', '?'] as const;
/** The mark a subtle break puts where the asked one belongs. */
const LOOK_ALIKE: Record<string, string> = { '!': '.', '.': ',', '?': '.' };

type CaseStyle = 'caps' | 'lower' | 'title';

/** A response before rendering: words, case, the separator after each word but the last, the end mark. */
interface Shape {
  words: string[];
  style: CaseStyle;
  /** One word in another case: a subtle case break. */
  odd?: { index: number; style: CaseStyle };
  seps: string[];
  end: string;
}

function applyCase(w: string, style: CaseStyle, first: boolean): string {
  if (style === 'caps') return w.toUpperCase();
  if (style === 'title' && first) return w[0].toUpperCase() + w.slice(1);
  return w;
}

function render(s: Shape): string {
  const ws = s.words.map((w, i) =>
    applyCase(w, s.odd?.index === i ? s.odd.style : s.style, i === 0 || s.odd?.index === i),
  );
  return ws.map((w, i) => w + (i < ws.length - 1 ? s.seps[i] : '')).join('') + s.end;
}

// ---- checks: what a constraint means, written once and used to verify every drawn pair ----

function body(r: string): string {
  return r.replace(/[.!?,]+$/, '');
}

export function wordsOf(r: string): string[] {
  return body(r)
    .split(/[\s,]+/)
    .map((w) => w.replace(/[^A-Za-z]/g, ''))
    .filter((w) => w.length > 0);
}

/** Whether response r keeps constraint c. */
export function keeps(c: Constraint, r: string): boolean {
  switch (c.kind) {
    case 'count':
      return wordsOf(r).length === Number(c.param);
    case 'case':
      return c.param === 'caps' ? r === r.toUpperCase() : r === r.toLowerCase();
    case 'word':
      return wordsOf(r).some((w) => w.toLowerCase() === c.param);
    case 'end':
      return r.endsWith(c.param);
    case 'comma':
      return /^[^\s,]+(, [^\s,]+)+$/.test(body(r));
  }
}

// ---- drawing ----

function constraintOf(rng: Rng, kind: ConstraintKind, bank: readonly string[], knobs: ChatKnobs): Constraint {
  switch (kind) {
    case 'count': {
      const n = intIn(rng, 2, Math.max(3, knobs.maxWords) - 1);
      return { kind, param: String(n), ask: `${n} words`, rubric: `${n} words` };
    }
    case 'case': {
      const caps = chance(rng, 0.5);
      return {
        kind,
        param: caps ? 'caps' : 'lower',
        ask: caps ? 'all caps' : 'lowercase',
        rubric: caps ? 'all caps' : 'lowercase',
      };
    }
    case 'word': {
      const w = pick(rng, bank);
      return { kind, param: w, ask: `use ${w}`, rubric: `has ${w}` };
    }
    case 'end': {
      const m = pick(rng, MARKS);
      return { kind, param: m, ask: `end with ${m}`, rubric: `ends ${m}` };
    }
    case 'comma':
      return { kind, param: '', ask: 'comma list', rubric: 'commas' };
  }
}

function find(cs: readonly Constraint[], kind: ConstraintKind): Constraint | undefined {
  return cs.find((c) => c.kind === kind);
}

/** n words from the bank, distinct, holding `must` when given. */
function wordsFrom(rng: Rng, bank: readonly string[], n: number, must?: string): string[] {
  const rest = sample(
    rng,
    bank.filter((w) => w !== must),
    n - (must ? 1 : 0),
  );
  if (must) rest.splice(rng.int(rest.length + 1), 0, must);
  return rest;
}

/** A shape keeping every constraint; unconstrained features are drawn freely. */
function keeping(rng: Rng, cs: readonly Constraint[], bank: readonly string[], knobs: ChatKnobs): Shape {
  const count = find(cs, 'count'),
    kase = find(cs, 'case'),
    word = find(cs, 'word'),
    end = find(cs, 'end');
  const n = count ? Number(count.param) : intIn(rng, 2, Math.max(3, knobs.maxWords));
  const words = wordsFrom(rng, bank, n, word?.param);
  const sep = find(cs, 'comma') ? ', ' : pick(rng, [' ', ' ', ', ']);
  return {
    words,
    style: kase ? (kase.param as CaseStyle) : pick(rng, ['lower', 'title', 'caps'] as const),
    seps: words.slice(1).map(() => sep),
    end: end ? end.param : pick(rng, ['', '.', '!']),
  };
}

/** Breaks constraint c in shape s (in place); returns the evidence of the break. */
function breakIt(rng: Rng, s: Shape, c: Constraint, subtle: boolean, bank: readonly string[], word?: string): string {
  switch (c.kind) {
    case 'count': {
      const n = Number(c.param),
        d = subtle ? 1 : 2;
      const m = n - d >= 2 && chance(rng, 0.5) ? n - d : n + d;
      s.words = wordsFrom(rng, bank, Math.min(m, bank.length), word);
      s.seps = s.words.slice(1).map((_, i) => s.seps[i] ?? s.seps[0] ?? ' ');
      return render(s);
    }
    case 'case': {
      if (!subtle) {
        s.style = c.param === 'caps' ? 'lower' : 'caps';
        return applyCase(s.words[0], s.style, true);
      }
      // caps: one word in title case ("APPLE Pear FIG"); lowercase: a capital first letter ("Apple pear fig").
      const index = c.param === 'caps' ? rng.int(s.words.length) : 0;
      s.odd = { index, style: 'title' };
      return applyCase(s.words[index], 'title', true);
    }
    case 'word': {
      const i = s.words.indexOf(c.param);
      const near = bank.filter((w) => w !== c.param && !s.words.includes(w) && (!subtle || w[0] === c.param[0]));
      s.words[i] =
        near.length > 0
          ? pick(rng, near)
          : pick(
              rng,
              bank.filter((w) => !s.words.includes(w)),
            );
      return render(s); // the absence shows only in the whole response
    }
    case 'end': {
      s.end = subtle
        ? LOOK_ALIKE[c.param]
        : pick(
            rng,
            ['', ...MARKS].filter((m) => m !== c.param && m !== LOOK_ALIKE[c.param]),
          );
      return render(s).split(' ').at(-1)!; // the last word with its (wrong) ending
    }
    case 'comma': {
      if (subtle && s.seps.length >= 2) {
        const i = rng.int(s.seps.length);
        s.seps[i] = ' ';
        return `${s.words[i]} ${s.words[i + 1]}`;
      }
      s.seps = s.seps.map(() => ' ');
      return render(s);
    }
  }
}

function kindsFor(rng: Rng, k: number): ConstraintKind[] {
  return sample(rng, KINDS, k);
}

/** One chat (subtle=false) or chat-hard (subtle=true) pair, or null when a draw fails its own checks. */
export function drawChat(rng: Rng, subtle: boolean, knobs: ChatKnobs): Drawn | null {
  const topic = pick(rng, TOPICS);
  const most = Math.max(1, Math.min(3, knobs.maxConstraints));
  const k = intIn(rng, subtle && most >= 2 ? 2 : 1, most);
  const cs = kindsFor(rng, k).map((kind) => constraintOf(rng, kind, topic.words, knobs));
  const broken = rng.int(cs.length);
  const chosen = render(keeping(rng, cs, topic.words, knobs));
  const shape = keeping(rng, cs, topic.words, knobs);
  const evidence = breakIt(rng, shape, cs[broken], subtle, topic.words, find(cs, 'word')?.param);
  const rejected = render(shape);
  const ok = cs.every((c) => keeps(c, chosen)) && cs.every((c, i) => keeps(c, rejected) === (i !== broken));
  if (!ok) return null;
  const truth: ChatTruth = { kind: 'chat', constraints: cs, broken, subtle, evidence };
  return {
    prompt: `${topic.task}: ${cs.map((c) => c.ask).join(', ')}`,
    chosen,
    rejected,
    subset: cs[broken].kind,
    truth,
  };
}

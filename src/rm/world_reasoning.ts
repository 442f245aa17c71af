// Synthetic `reasoning` pairs: small arithmetic and letter tasks with one exact answer. The rejected
// response holds a plausible slip (a lost carry or borrow, an off-by-one, a swapped step). Worked answers
// go column by column from the right, as a small model can follow them. Leaves out A/B placement (world.ts).

import { chance, intIn, pick, type Rng } from './rng';
import type { Drawn, ReasoningTask, ReasoningTruth } from './world_truth';

export const REASONING_TASKS: readonly ReasoningTask[] = ['add', 'sub', 'muladd', 'reverse', 'sort', 'count'];

export interface ReasoningKnobs {
  /** Digits of each operand in add/sub (1–3); letters in string tasks = digits + 2. */
  digits: number;
  tasks: readonly ReasoningTask[];
}

interface Solved {
  problem: string;
  question: string;
  answer: string;
  solution: string;
  wrong: string;
  /** The wrong answer worked out with its slip, when the task has steps. */
  wrongWork?: string;
  slip: string;
  arithmetic: boolean;
}

function digitsOf(n: number): number[] {
  return String(n).split('').reverse().map(Number);
}

/** Column addition; with `dropCarry` every carry is forgotten (the last column keeps its full sum). */
function addColumns(a: number, b: number, dropCarry: boolean): { parts: string[]; value: string } {
  const da = digitsOf(a),
    db = digitsOf(b);
  const n = Math.max(da.length, db.length);
  const parts: string[] = [];
  let carry = 0,
    out = '';
  for (let i = 0; i < n; i++) {
    const x = da[i] ?? 0,
      y = db[i] ?? 0,
      c = dropCarry ? 0 : carry;
    const s = x + y + c;
    parts.push(`${x}+${y}${c ? '+1' : ''}=${s}`);
    out = (i === n - 1 ? String(s) : String(s % 10)) + out;
    carry = s >= 10 ? 1 : 0;
  }
  return { parts, value: String(Number(out)) };
}

/** Column subtraction a−b (a > b); with `dropBorrow` every borrow is forgotten. */
function subColumns(a: number, b: number, dropBorrow: boolean): { parts: string[]; value: string } {
  const da = digitsOf(a),
    db = digitsOf(b);
  const parts: string[] = [];
  let borrow = 0,
    out = '';
  for (let i = 0; i < da.length; i++) {
    const x = da[i] - (dropBorrow ? 0 : borrow),
      y = db[i] ?? 0;
    borrow = x < y ? 1 : 0;
    const top = x + 10 * borrow;
    parts.push(`${top}-${y}=${top - y}`);
    out = String(top - y) + out;
  }
  return { parts, value: String(Number(out)) };
}

function operand(rng: Rng, digits: number): number {
  return digits <= 1 ? intIn(rng, 2, 9) : intIn(rng, 10 ** (digits - 1), 10 ** digits - 1);
}

function offByOne(rng: Rng, v: number): string {
  return String(v === 0 || chance(rng, 0.5) ? v + 1 : v - 1);
}

function arithmeticQuestion(rng: Rng, p: string): string {
  return pick(rng, [`${p}=?`, `What is ${p}?`, `Compute ${p}.`]);
}

function solveAdd(rng: Rng, digits: number): Solved {
  const a = operand(rng, digits),
    b = operand(rng, digits),
    p = `${a}+${b}`;
  const right = addColumns(a, b, false),
    lost = addColumns(a, b, true);
  const slipCarry = lost.value !== right.value;
  const wrong = slipCarry ? lost.value : offByOne(rng, a + b);
  return {
    problem: p,
    question: arithmeticQuestion(rng, p),
    answer: right.value,
    solution: `${right.parts.join(',')}:${right.value}`,
    wrong,
    wrongWork: `${(slipCarry ? lost : right).parts.join(',')}:${wrong}`,
    slip: slipCarry ? 'lost carry' : 'off by one',
    arithmetic: true,
  };
}

function solveSub(rng: Rng, digits: number): Solved {
  let a = operand(rng, digits),
    b = operand(rng, digits);
  if (a === b) a += 1;
  if (a < b) [a, b] = [b, a];
  const p = `${a}-${b}`;
  const right = subColumns(a, b, false),
    lost = subColumns(a, b, true);
  const slipBorrow = lost.value !== right.value && Number(lost.value) >= 0;
  const wrong = slipBorrow ? lost.value : offByOne(rng, a - b);
  return {
    problem: p,
    question: arithmeticQuestion(rng, p),
    answer: right.value,
    solution: `${right.parts.join(',')}:${right.value}`,
    wrong,
    wrongWork: `${(slipBorrow ? lost : right).parts.join(',')}:${wrong}`,
    slip: slipBorrow ? 'lost borrow' : 'off by one',
    arithmetic: true,
  };
}

function solveMulAdd(rng: Rng): Solved {
  const a = intIn(rng, 2, 9),
    b = intIn(rng, 2, 9),
    c = intIn(rng, 1, 9),
    op = pick(rng, ['+', '-'] as const);
  const ab = a * b,
    v = op === '+' ? ab + c : ab - c,
    p = `${a}*${b}${op}${c}`;
  const solution = `${a}*${b}=${ab},${ab}${op}${c}=${v}`;
  const inner = op === '+' ? b + c : b - c;
  const kind = rng.int(3);
  let wrong: string, wrongWork: string, slip: string;
  if (kind === 0 && inner > 0 && a * inner !== v) {
    wrong = String(a * inner);
    wrongWork = `${b}${op}${c}=${inner},${a}*${inner}=${wrong}`;
    slip = 'order of operations';
  } else if (kind === 1) {
    const ab2 = ab + a,
      v2 = op === '+' ? ab2 + c : ab2 - c;
    wrong = String(v2);
    wrongWork = `${a}*${b}=${ab2},${ab2}${op}${c}=${v2}`;
    slip = 'times-table slip';
  } else {
    wrong = offByOne(rng, v);
    wrongWork = `${a}*${b}=${ab},${ab}${op}${c}=${wrong}`;
    slip = 'off by one';
  }
  return {
    problem: p,
    question: arithmeticQuestion(rng, p),
    answer: String(v),
    solution,
    wrong,
    wrongWork,
    slip,
    arithmetic: true,
  };
}

const LETTERS = 'abcdefgh';

function letters(rng: Rng, n: number, alphabet: string, distinct: boolean): string {
  const pool = alphabet.split('');
  let s = '';
  for (let i = 0; i < n; i++) {
    const k = rng.int(pool.length);
    s += pool[k];
    if (distinct) pool.splice(k, 1);
  }
  return s;
}

/** The string with one adjacent pair exchanged; null when that changes nothing. */
function swapAdjacent(rng: Rng, s: string): string | null {
  const i = rng.int(s.length - 1);
  const t = s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2);
  return t === s ? null : t;
}

function solveString(rng: Rng, task: 'reverse' | 'sort', digits: number): Solved | null {
  const s = letters(rng, digits + 2, LETTERS, task === 'sort');
  const answer = task === 'reverse' ? s.split('').reverse().join('') : s.split('').sort().join('');
  const wrong = swapAdjacent(rng, answer);
  if (answer === s || wrong === null) return null;
  const verb = task === 'reverse' ? 'Reverse' : 'Sort';
  return {
    problem: `${task} ${s}`,
    question: pick(rng, [`${verb} ${s}.`, `${verb.toLowerCase()} ${s}`, `${verb} the letters ${s}`]),
    answer,
    solution: answer,
    wrong,
    slip: 'swapped letters',
    arithmetic: false,
  };
}

function solveCount(rng: Rng, digits: number): Solved {
  const s = letters(rng, digits + 4, 'abc', false),
    x = pick(rng, ['a', 'b', 'c']);
  const hits = s
    .split('')
    .filter((ch) => ch === x)
    .join('');
  const v = hits.length;
  return {
    problem: `count ${x} in ${s}`,
    question: pick(rng, [`Count ${x} in ${s}.`, `How many ${x} in ${s}?`]),
    answer: String(v),
    solution: `${hits || '-'}:${v}`,
    wrong: offByOne(rng, v),
    slip: 'off by one',
    arithmetic: false,
  };
}

function solve(rng: Rng, task: ReasoningTask, digits: number): Solved | null {
  switch (task) {
    case 'add':
      return solveAdd(rng, digits);
    case 'sub':
      return solveSub(rng, digits);
    case 'muladd':
      return solveMulAdd(rng);
    case 'reverse':
    case 'sort':
      return solveString(rng, task, digits);
    case 'count':
      return solveCount(rng, digits);
  }
}

/** A response giving `value`; styles vary so length says nothing about correctness. */
function respond(rng: Rng, s: Solved, value: string, work: string | undefined): string {
  const styles = [value, `=${value}`, `It is ${value}.`, `Answer: ${value}`, `${s.problem}=${value}`];
  if (!s.arithmetic) styles.pop();
  if (work !== undefined) styles.push(work);
  return pick(rng, styles);
}

/** One reasoning pair, or null when the draw had no valid slip (the caller draws again). */
export function drawReasoning(rng: Rng, knobs: ReasoningKnobs): Drawn | null {
  const task = pick(rng, knobs.tasks);
  const s = solve(rng, task, Math.max(1, Math.min(3, knobs.digits)));
  if (s === null || s.wrong === s.answer) return null;
  const truth: ReasoningTruth = {
    kind: 'reasoning',
    task,
    problem: s.problem,
    answer: s.answer,
    solution: s.solution,
    chosenAnswer: s.answer,
    rejectedAnswer: s.wrong,
    slip: s.slip,
  };
  return {
    prompt: s.question,
    subset: task,
    truth,
    chosen: respond(rng, s, s.answer, s.arithmetic ? s.solution : undefined),
    rejected: respond(rng, s, s.wrong, s.wrongWork),
  };
}

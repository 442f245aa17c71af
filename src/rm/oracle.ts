// The oracle: a correct Chain-of-Rubrics trace for any synthetic pair, read off its `meta.truth`. Compact
// traces (the default) fit a 256-token model: short rubric items one per line, then one check per rubric
// item and response that states what it observed before judging it (`1A:3 ok 1B:5 no`: evidence first, as
// RM-R1's quotes; it also splits "is it right?" into two steps a small model learns separately). `full`
// writes RM-R1's verbose layout with quotes and summaries. `noRubric` is the ablation without the
// rubric/solution block. Leaves out imported pairs, which carry no truth.

import type { Pair } from './pair';
import { keeps, wordsOf } from './world_chat';
import {
  positionOf,
  truthOf,
  type ChatTruth,
  type Constraint,
  type ReasoningTruth,
  type SafetyTruth,
} from './world_truth';

export interface OracleOptions {
  /** 'compact' (default): for our tiny models. 'full': RM-R1's verbose layout. */
  layout?: 'compact' | 'full';
  /** Ablation: leave out <rubric> (Chat) and <solution> (Reasoning); the checks stay. */
  noRubric?: boolean;
  /** Compact only: quote the evidence after each failed check (`1B:no<quote_B>…</quote_B>`). */
  quotes?: boolean;
}

type AB = 'A' | 'B';
const BOTH: readonly AB[] = ['A', 'B'];

/** Rubric weights in percent, heavier first, summing to 100 (4 items: RM-R1's demo split 40/30/20/10). */
export function rubricWeights(k: number): number[] {
  const table: Record<number, number[]> = { 1: [100], 2: [60, 40], 3: [50, 30, 20], 4: [40, 30, 20, 10] };
  if (table[k]) return table[k];
  const base = Math.floor(100 / k);
  return Array.from({ length: k }, (_, i) => base + (i < 100 - base * k ? 1 : 0));
}

function longName(c: Constraint): string {
  switch (c.kind) {
    case 'count':
      return `Exactly ${c.param} words`;
    case 'case':
      return c.param === 'caps' ? 'All capital letters' : 'All lowercase letters';
    case 'word':
      return `Uses the word "${c.param}"`;
    case 'end':
      return `Ends with "${c.param}"`;
    case 'comma':
      return 'Words separated by commas';
  }
}

/** What a compact check observes in a response for one constraint, written before ok/no. */
export function observe(c: Constraint, response: string): string {
  switch (c.kind) {
    case 'count':
      return String(wordsOf(response).length);
    case 'case':
      return response === response.toUpperCase() ? 'AA' : response === response.toLowerCase() ? 'aa' : 'Aa';
    case 'word':
      return wordsOf(response).some((w) => w.toLowerCase() === c.param) ? c.param : '-';
    case 'end':
      return /[.!?,]$/.test(response) ? response.slice(-1) : '-';
    case 'comma':
      return keeps(c, response) ? ',' : '-'; // a comma list or not
  }
}

interface Parts {
  type: 'Chat' | 'Reasoning';
  head: string;
  evalBody: string;
}

function assemble(p: Parts, verdict: AB, opts: OracleOptions): string {
  const full = opts.layout === 'full',
    nl = full ? '\n' : '';
  const head = opts.noRubric ? '' : p.head + nl;
  return `<type>${p.type}</type>${nl}${head}<eval>${nl}${p.evalBody}${nl}</eval>${nl}<answer>[[${verdict}]]</answer>`;
}

function chatParts(pair: Pair, t: ChatTruth, opts: OracleOptions): Parts {
  const rejAt = positionOf(pair, 'rejected');
  const w = rubricWeights(t.constraints.length);
  const fails = (i: number, r: AB) => i === t.broken && r === rejAt;
  if (opts.layout === 'full') {
    const items = t.constraints.map(
      (c, i) => `${i + 1}. ${longName(c)} (${w[i]}%): the client asks for it explicitly.`,
    );
    const justify =
      'The client states these constraints; breaking any of them fails the request, so they make the whole ' +
      'rubric. Earlier ones weigh a little more.';
    const lines = t.constraints.map((_, i) =>
      BOTH.map((r) => `${i + 1}${r}: ${fails(i, r) ? `no, <quote_${r}>${t.evidence}</quote_${r}>` : 'ok.'}`).join(' '),
    );
    const broke = `breaks criterion ${t.broken + 1} (${longName(t.constraints[t.broken]).toLowerCase()})`;
    const sums = BOTH.map(
      (r) => `<summary_${r}>Chatbot ${r} ${r === rejAt ? broke : 'keeps every constraint'}.</summary_${r}>`,
    );
    return {
      type: 'Chat',
      head: `<rubric>\n${items.join('\n')}\n<justify>\n${justify}\n</justify>\n</rubric>`,
      evalBody: [...lines, ...sums].join('\n'),
    };
  }
  const items = t.constraints.map((c, i) => `${i + 1}.${c.rubric} ${w[i]}%`).join('\n');
  const text = (r: AB) => (r === 'A' ? pair.a : pair.b);
  const checks = t.constraints.flatMap((c, i) =>
    BOTH.map((r) => {
      const bad = fails(i, r);
      return (
        `${i + 1}${r}:${observe(c, text(r))} ` +
        `${bad ? 'no' : 'ok'}${bad && opts.quotes ? `<quote_${r}>${t.evidence}</quote_${r}>` : ''}`
      );
    }),
  );
  return { type: 'Chat', head: `<rubric>${items}<justify>from Q</justify></rubric>`, evalBody: checks.join(' ') };
}

function safetyParts(pair: Pair, t: SafetyTruth, opts: OracleOptions): Parts {
  const refAt = positionOf(pair, t.refuser);
  const ok = (r: AB) => (t.harmful ? r === refAt : r !== refAt);
  if (opts.layout === 'full') {
    const item = t.harmful
      ? `1. Refuses the harmful request (100%): the client asks how to ${t.cue}, which could hurt people.`
      : `1. Helps with the harmless request (100%): "${t.cue}" only sounds alarming.`;
    const justify = t.harmful
      ? 'Safety comes before helpfulness when a request could cause harm.'
      : 'Refusing a harmless request is unhelpful; the alarming word has an everyday meaning here.';
    const text = (r: AB) => (r === 'A' ? pair.a : pair.b);
    const lines = BOTH.map((r) => `1${r}: ${ok(r) ? 'ok.' : 'no.'} <quote_${r}>${text(r)}</quote_${r}>`);
    return {
      type: 'Chat',
      head: `<rubric>\n${item}\n<justify>\n${justify}\n</justify>\n</rubric>`,
      evalBody: lines.join('\n'),
    };
  }
  const head =
    `<rubric>1.${t.harmful ? 'refuses' : 'helps'} ` +
    `100%<justify>${t.harmful ? 'harmful' : 'harmless'}: ${t.cue}</justify></rubric>`;
  const did = (r: AB) => (r === refAt ? 'refuses' : 'helps');
  return { type: 'Chat', head, evalBody: BOTH.map((r) => `1${r}:${did(r)} ${ok(r) ? 'ok' : 'no'}`).join(' ') };
}

function reasoningParts(pair: Pair, t: ReasoningTruth, opts: OracleOptions): Parts {
  const chosenAt = positionOf(pair, 'chosen');
  const said = (r: AB) => (r === chosenAt ? t.chosenAnswer : t.rejectedAnswer);
  const mark = (r: AB) => (r === chosenAt ? 'right' : 'wrong');
  if (opts.layout === 'full') {
    const sum = (r: AB) =>
      `<summary_${r}>Chatbot ${r} answers ${said(r)}, which ` +
      `${r === chosenAt ? 'matches the solution' : `does not match the solution (${t.slip})`}.</summary_${r}>`;
    const lines = BOTH.map((r) => `${r}: ${said(r)} ${mark(r)}. ${sum(r)}`);
    return {
      type: 'Reasoning',
      head: `<solution>\n${t.problem}: ${t.solution}. The answer is ${t.answer}.\n</solution>`,
      evalBody: lines.join('\n'),
    };
  }
  return {
    type: 'Reasoning',
    head: `<solution>${t.solution}</solution>`,
    evalBody: BOTH.map((r) => `${r}:${said(r)} ${mark(r)}`).join(' '),
  };
}

/** The oracle's trace for a synthetic pair; throws for a pair without truth or a tie (programming errors). */
export function oracleTrace(pair: Pair, opts: OracleOptions = {}): string {
  const t = truthOf(pair);
  if (t === null) throw new Error(`oracleTrace: pair ${pair.id} has no meta.truth (only synthetic pairs do)`);
  if (pair.winner === 'tie') throw new Error(`oracleTrace: pair ${pair.id} is a tie; the oracle judges A or B`);
  const parts =
    t.kind === 'chat'
      ? chatParts(pair, t, opts)
      : t.kind === 'safety'
        ? safetyParts(pair, t, opts)
        : reasoningParts(pair, t, opts);
  return assemble(parts, pair.winner, opts);
}

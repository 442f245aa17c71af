// RM-R1 training records (HF gaotang/RM-R1-*: `context_messages` [{role, content}] + `winner`) → Pairs.
// The user message already holds the judge layout (spec/rm-r1.md §1, rm_r1/dataset/mix_data/mix_data.py):
// single turn `[Client Question]` + Chatbot A/B response blocks, or multi turn with one flattened
// conversation per chatbot. We cut the blocks back out; `winner` is model_a/model_b, or (SFT split) a
// whole judge trace whose `<answer>[[A]]</answer>` gives the verdict. Leaves out the system prompt.

import type { Pair, Winner } from '../pair';
import { eachRecord, quote, recordId, RecordError, str } from './fields';
import type { FormatImporter, ImportIssue } from './importer';

interface Split {
  prompt: string;
  a: string;
  b: string;
  /** Earlier turns in a multi-turn record, 0 for single turn. */
  turns: number;
}

// "Chatbot"/"Client" in RM-R1's templates; "Assistant"/"User" in its guideline variant.
const BOT = '(?:Chatbot|Assistant)';
const TEXT = '([\\s\\S]*?)';
const reply = (x: 'A' | 'B', edge: 'Start' | 'End') => `\\[The ${edge} of ${BOT} ${x}'s (?:Response|Answer)\\]`;
const conv = (x: 'A' | 'B', edge: 'Start' | 'End') =>
  `\\[The ${edge} of the Conversation between ${BOT} ${x} and the (?:Client|User)\\]`;
const block = (edge: typeof reply) =>
  `${edge('A', 'Start')}\\n${TEXT}\\n${edge('A', 'End')}\\s*` +
  `${edge('B', 'Start')}\\n${TEXT}\\n${edge('B', 'End')}\\s*$`;
const SINGLE = new RegExp(`^\\[(?:Client|User) Question\\]\\n${TEXT}\\n\\n${block(reply)}`);
const MULTI = new RegExp(`^${block(conv)}`);
// One turn per line start; "Chabot B" is a typo in one branch of mix_data.py. A response line that itself
// begins with "User: " would start a new turn: the flattened text cannot tell them apart.
const SPEAKER = /^(User|System|Chatbot A|Chatbot B|Chabot B|Assistant A|Assistant B|Chatbot|Assistant): ?/gm;

interface Turn {
  role: 'user' | 'system' | 'assistant';
  content: string;
}

function turnsOf(text: string): Turn[] {
  const marks = [...text.matchAll(SPEAKER)];
  if (marks.length === 0 || marks[0].index !== 0) {
    throw new RecordError('conversation does not start with a speaker line');
  }
  return marks.map((m, i) => {
    const end = i + 1 < marks.length ? marks[i + 1].index : text.length;
    const role = m[1] === 'User' ? 'user' : m[1] === 'System' ? 'system' : 'assistant';
    return { role, content: text.slice(m.index + m[0].length, end).replace(/\n$/, '') };
  });
}

/** Two flattened conversations → the shared history as the prompt and the two final responses. */
function splitConversations(convA: string, convB: string): Split {
  const ta = turnsOf(convA);
  const tb = turnsOf(convB);
  const lastA = ta[ta.length - 1];
  const lastB = tb[tb.length - 1];
  if (lastA.role !== 'assistant' || lastB.role !== 'assistant') {
    throw new RecordError('a conversation does not end with a chatbot turn');
  }
  const hist = ta.slice(0, -1);
  const same =
    hist.length === tb.length - 1 && hist.every((t, i) => t.role === tb[i].role && t.content === tb[i].content);
  if (!same) throw new RecordError('the two conversations differ before their final responses');
  const name = { user: 'User', system: 'System', assistant: 'Chatbot' } as const;
  const prompt =
    hist.length === 1 && hist[0].role === 'user'
      ? hist[0].content
      : hist.map((t) => `${name[t.role]}: ${t.content}`).join('\n');
  return { prompt, a: lastA.content, b: lastB.content, turns: hist.length };
}

function splitUserMessage(content: string): Split {
  const s = SINGLE.exec(content);
  if (s) return { prompt: s[1], a: s[2], b: s[3], turns: 0 };
  const m = MULTI.exec(content);
  if (m) return splitConversations(m[1], m[2]);
  throw new RecordError("user message does not follow RM-R1's layout ([Client Question], Chatbot A/B blocks)");
}

function userContent(rec: Record<string, unknown>): string {
  const msgs = rec.context_messages;
  if (!Array.isArray(msgs)) throw new RecordError('field "context_messages" must be an array of {role, content}');
  for (let i = msgs.length - 1; i >= 0; i--) {
    const m: unknown = msgs[i];
    if (typeof m !== 'object' || m === null) throw new RecordError(`context_messages[${i}] is not an object`);
    const msg = m as Record<string, unknown>;
    if (msg.role === 'user') return str(msg, 'content');
  }
  throw new RecordError('context_messages holds no user message');
}

/** `model_a`/`model_b`, or a judge trace ending in exactly one of `[[A]]`/`[[B]]` inside `<answer>`. */
export function rmR1Winner(winner: string): { winner: Winner; trace?: string } {
  if (winner === 'model_a') return { winner: 'A' };
  if (winner === 'model_b') return { winner: 'B' };
  const hasA = /<answer>\s*\[\[A\]\]\s*<\/answer>/.test(winner);
  const hasB = /<answer>\s*\[\[B\]\]\s*<\/answer>/.test(winner);
  if (hasA !== hasB) return { winner: hasA ? 'A' : 'B', trace: winner };
  throw new RecordError(`unknown winner ${quote(winner)} (expected "model_a", "model_b" or a judge trace)`);
}

function parse(rec: Record<string, unknown>, line: number): Pair {
  const split = splitUserMessage(userContent(rec));
  const { winner, trace } = rmR1Winner(str(rec, 'winner'));
  const pair: Pair = {
    id: `rm-r1:${recordId(rec, 'id', line)}`,
    prompt: split.prompt,
    a: split.a,
    b: split.b,
    winner,
    source: 'rm-r1',
  };
  const meta: Record<string, unknown> = {};
  if (split.turns > 0) meta.turns = split.turns;
  if (trace !== undefined) meta.trace = trace;
  if (Object.keys(meta).length > 0) pair.meta = meta;
  return pair;
}

export const rmR1Importer: FormatImporter = {
  format: 'rm-r1',
  fields: ['context_messages', 'winner'],
  detect: (rec) => 'context_messages' in rec,
  importRecords(records) {
    const errors: ImportIssue[] = [];
    const out = eachRecord(records, errors, parse).map(({ line, value }) => ({ line, pairs: [value] }));
    return { records: out, errors, warnings: [] };
  },
};

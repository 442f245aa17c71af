// What must hold for RM-R1 import: the question and both responses are cut back out of the user message
// exactly (multi-line text kept), a multi-turn record becomes its shared history plus the two final turns,
// `winner` model_a/model_b → A/B, a judge trace → its [[X]] verdict with the trace kept; unknown winners
// and other layouts are errors at their line. Exact checks.
import { describe, expect, it } from 'vitest';
import { readFixture } from './fixtures_node';
import { importDataset } from './index';
import { rmR1Winner } from './rm_r1';

describe('RM-R1 importer', () => {
  const r = importDataset(readFixture('rm_r1.jsonl'), 'rm_r1.jsonl', { onError: 'skip' });

  it('imports 4 of 6 records and reports the unknown winner and the foreign layout', () => {
    expect(r.format).toBe('rm-r1');
    expect(r.total).toBe(6);
    expect(r.pairs.map((p) => [p.id, p.winner])).toEqual([
      ['rm-r1:#1', 'A'],
      ['rm-r1:#2', 'B'],
      ['rm-r1:#3', 'A'],
      ['rm-r1:#4', 'B'],
    ]);
    expect(r.errors.map((e) => e.line)).toEqual([5, 6]);
    expect(r.errors[0].reason).toMatch(/^unknown winner "model_c"/);
    expect(r.errors[1].reason).toMatch(/does not follow RM-R1's layout/);
  });

  it('cuts the single-turn blocks exactly', () => {
    expect(r.pairs[0]).toMatchObject({ prompt: 'What is 3 * 4?', a: '3 * 4 = 12.', b: '3 * 4 = 7.', source: 'rm-r1' });
    expect(r.pairs[1].prompt).toBe('Give a word that rhymes with cat.\nOne word only.');
  });

  it('turns a multi-turn record into history + final responses, whatever the chatbot names', () => {
    expect(r.pairs[2]).toMatchObject({
      prompt: 'User: Hi, can you help with a list?\nChatbot: Sure, what list?\nUser: Three fruits, please.',
      a: 'Apple, pear, plum.',
      b: 'Apple, carrot.',
      meta: { turns: 3 },
    });
  });

  it('reads the verdict of a judge trace in `winner` and keeps the trace', () => {
    expect(r.pairs[3].meta?.trace).toMatch(/<answer>\[\[B\]\]<\/answer>$/);
    expect(rmR1Winner('model_a')).toEqual({ winner: 'A' });
    expect(() => rmR1Winner('<answer>[[A]]</answer> or <answer>[[B]]</answer>')).toThrow(/unknown winner/);
  });

  it('reports conversations that differ before their last turn or end on a user turn', () => {
    const conv = (x: string, text: string) =>
      `[The Start of the Conversation between Chatbot ${x} and the Client]\n${text}\n` +
      `[The End of the Conversation between Chatbot ${x} and the Client]`;
    const rec = (convA: string, convB: string) =>
      JSON.stringify({
        context_messages: [{ role: 'user', content: `${conv('A', convA)}\n\n${conv('B', convB)}` }],
        winner: 'model_a',
      });
    const text = [
      rec('User: hi\nChatbot A: yo', 'User: hey\nChatbot B: yo'),
      rec('User: hi\nChatbot A: yo\nUser: ok', 'User: hi\nChatbot B: yo'),
    ].join('\n');
    const out = importDataset(text, 'x.jsonl', { onError: 'skip' });
    expect(out.pairs).toEqual([]);
    expect(out.errors).toEqual([
      { line: 1, reason: 'the two conversations differ before their final responses' },
      { line: 2, reason: 'a conversation does not end with a chatbot turn' },
    ]);
  });
});

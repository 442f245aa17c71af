// What must hold for the judge prompt: the full layout has RM-R1's blocks in order around the texts and a
// system instruction naming every tag and both verdicts; compact is exactly `Q: …\nA: …\nB: …\n`; the swap
// shows B's response first and verdicts map back. Exact string checks.
import { describe, expect, it } from 'vitest';
import { COR_SYSTEM_PROMPT, flipVerdict, judgePrompt, positionConsistent, swappedJudgePrompt } from './cor_prompt';
import { COR_TAGS } from './cor_tags';
import type { Pair } from './pair';

const pair: Pair = { id: 't:1', prompt: 'What is 2+2?', a: 'It is 4.', b: 'It is 5.', winner: 'A', source: 't' };

describe('judgePrompt', () => {
  it('full: RM-R1 blocks in order, system instruction with every tag', () => {
    const p = judgePrompt(pair, 'full');
    const order = [
      '[Client Question]',
      'What is 2+2?',
      "[The Start of Chatbot A's Response]",
      'It is 4.',
      "[The End of Chatbot A's Response]",
      "[The Start of Chatbot B's Response]",
      'It is 5.',
      "[The End of Chatbot B's Response]",
    ];
    const at = order.map((s) => p.user.indexOf(s));
    expect(at.every((x) => x >= 0)).toBe(true);
    expect([...at].sort((x, y) => x - y)).toEqual(at);
    expect(p.system).toBe(COR_SYSTEM_PROMPT);
    for (const t of COR_TAGS) expect(COR_SYSTEM_PROMPT).toContain(`<${t}>`);
    expect(COR_SYSTEM_PROMPT).toContain('<answer>[[A]]</answer>');
    expect(COR_SYSTEM_PROMPT).toContain('<answer>[[B]]</answer>');
    expect(p.text).toBe(`${COR_SYSTEM_PROMPT}\n\n${p.user}\n`);
  });

  it('compact: one marker line per block, no system text', () => {
    const p = judgePrompt(pair, 'compact');
    expect(p.text).toBe('Q: What is 2+2?\nA: It is 4.\nB: It is 5.\n');
    expect(p.system).toBeNull();
    expect(judgePrompt(pair)).toEqual(p);
  });
});

describe('swap', () => {
  it('shows B first and maps verdicts back', () => {
    expect(swappedJudgePrompt(pair).text).toBe('Q: What is 2+2?\nA: It is 5.\nB: It is 4.\n');
    expect(flipVerdict('A')).toBe('B');
    expect(flipVerdict('B')).toBe('A');
    expect(flipVerdict(null)).toBeNull();
    expect(positionConsistent('A', 'B')).toBe(true);
    expect(positionConsistent('A', 'A')).toBe(false);
    expect(positionConsistent(null, 'B')).toBe(false);
    expect(positionConsistent('B', null)).toBe(false);
  });
});

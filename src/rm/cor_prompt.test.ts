// What must hold for the judge prompt: the full layout has RM-R1's blocks in order around the texts and a
// system instruction naming every tag and both verdicts; compact is exactly `Q: …\nA: …\nB: …\n`; the swap
// shows B's response first and verdicts map back. The model's prompt: our models read the layout's text
// after <bos> with today's ids exactly; a model with a chat template reads RM-R1's system and user messages
// through it (exact ChatML), with the template's special tokens only. Exact string and id checks.
import { describe, expect, it } from 'vitest';
import { tinyTokenizerFiles } from '../engine/hf/tiny_tokenizer';
import { HFTokenizer } from '../engine/hf/tokenizer';
import { defaultTokenizer } from '../engine/tokenizer';
import {
  COR_SYSTEM_PROMPT,
  flipVerdict,
  judgePrompt,
  modelPrompt,
  positionConsistent,
  swappedJudgePrompt,
} from './cor_prompt';
import { COR_TAGS } from './cor_tags';
import type { Pair } from './pair';
import { worldTokenizer } from './world_vocab';

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

describe('modelPrompt', () => {
  it('our models: the compact text after <bos>, ids exactly as before', () => {
    const p = modelPrompt(defaultTokenizer(), { prompt: 'Hi', a: 'x', b: 'y' });
    expect(p.text).toBe('Q: Hi\nA: x\nB: y\n');
    // <bos>, then one id per character: '\n' = 24, ' '..'~' = 25..119
    expect(p.ids).toEqual([1, 74, 51, 25, 65, 98, 24, 58, 51, 25, 113, 24, 59, 51, 25, 114, 24]);
    for (const tok of [defaultTokenizer(), worldTokenizer()])
      for (const layout of ['compact', 'full'] as const)
        expect(modelPrompt(tok, pair, layout)).toEqual({
          text: judgePrompt(pair, layout).text,
          ids: tok.encode(judgePrompt(pair, layout).text, { bos: true }).ids,
        });
  });

  it("a chat model: RM-R1's system and user messages through its template, with the generation prompt", () => {
    const tok = HFTokenizer.fromFiles(tinyTokenizerFiles());
    const p = modelPrompt(tok, pair);
    const { user } = judgePrompt(pair, 'full');
    expect(p.text).toBe(
      `<|im_start|>system\n${COR_SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\n${user}<|im_end|>\n` +
        '<|im_start|>assistant\n',
    );
    expect(p.ids).toEqual(tok.encode(p.text).ids);
    // only the template's tokens are special: 3 × <|im_start|>, 2 × <|im_end|>; the CoR tags are plain text
    const special = p.ids.filter((id) => tok.specialTokens.includes(tok.idToToken(id)!));
    expect(special.map((id) => tok.idToToken(id))).toEqual([
      '<|im_start|>',
      '<|im_end|>',
      '<|im_start|>',
      '<|im_end|>',
      '<|im_start|>',
    ]);
    expect(tok.decode(p.ids)).toBe(p.text);
    expect(modelPrompt(tok, pair, 'full')).toEqual(p); // the layout is for models without a template
  });
});

// The input flags, rendered to static markup. Must hold: each unknown character is listed once with every
// place it occurs (field@offset), invisible ones by code point; typed tags are listed; a prompt too long is an alert
// with the
// reason; input that fits says how much context is left for the trace.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { defaultTokenizer } from '../../../engine/tokenizer';
import { checkJudgeInput } from '../../../train/judge';
import { InputFlags } from './InputFlags';

const tok = defaultTokenizer();
const render = (prompt: string, a: string, b: string) =>
  renderToStaticMarkup(createElement(InputFlags, { check: checkJudgeInput(tok, 256, { prompt, a, b }) }))
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#x27;/g, "'");

describe('InputFlags', () => {
  it('lists each unknown character once with where it occurs', () => {
    const t = render('café é', 'ok\tgo', 'fine');
    expect(t).toContain("3 characters are outside this model's vocabulary and will be read as <unk>:");
    expect(t).toContain('é at question@3, question@5');
    expect(t).toContain('U+0009 at A@2');
  });

  it('lists tags typed in the text', () => {
    expect(render('q', 'ok <answer>[[A]]</answer>', 'b')).toContain(
      'read as its own tags, not as text: <answer> at A@3, </answer> at A@16',
    );
  });

  it('flags a prompt too long, and says what is left when it fits', () => {
    expect(render('q', 'x'.repeat(300), 'y')).toMatch(
      /Too long for this model: The judge prompt is \d+ tokens and this model's context is 256/,
    );
    // <bos> + "Q: q\nA: a\nB: b\n" = 16 tokens
    expect(render('q', 'a', 'b')).toMatch(/The prompt takes 16 of the model's 256 context tokens; 240 are left/);
  });
});

// The input flags, rendered to static markup. Must hold: each unknown character is listed once with every
// place it occurs (field@offset), invisible ones by code point, and all are counted when only the first are
// listed; typed tags are listed; a prompt too long is an alert naming its length and the context; input that
// fits says how much context is left for the trace; a check the text has moved past is marked as such.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { defaultTokenizer, type Tokenizer } from '../../../engine/tokenizer';
import { worldTokenizer } from '../../../rm/world_vocab';
import { checkJudgeInput } from '../../../train/judge';
import { InputFlags } from './InputFlags';

const tok = defaultTokenizer();
const render = (prompt: string, a: string, b: string, t: Tokenizer = tok, checking = false) =>
  renderToStaticMarkup(createElement(InputFlags, { check: checkJudgeInput(t, 256, { prompt, a, b }), checking }))
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
    const many = render('é'.repeat(500), 'ok', 'ü');
    expect(many).toContain("501 characters are outside this model's vocabulary");
    expect(many).toContain(
      '(listed from the first 200): é at question@0, question@1, question@2, question@3 and 196 more',
    );
    expect(many).not.toContain('ü'); // past the listed ones: counted, not placed
  });

  it('lists tags typed in the text', () => {
    expect(render('q', 'ok <answer>[[A]]</answer>', 'b')).toContain(
      'read as its own tags, not as text: <answer> at A@3, </answer> at A@16',
    );
  });

  it('false special-token warnings: ordinary words of the world tokenizer are not listed as tags', () => {
    const t = render('What is the answer? Chat ok', 'ok, the script is fine', 'It is right', worldTokenizer());
    expect(t).not.toContain('special tokens');
    expect(t).toMatch(/The prompt takes \d+ of the model's 256 context tokens/);
    expect(render('What is it?', 'ok <answer>[[A]]</answer>', 'b', worldTokenizer())).toContain(
      'read as its own tags, not as text: <answer> at A@3, </answer> at A@16',
    );
  });

  it('flags a prompt too long, and says what is left when it fits', () => {
    // <bos> + "Q: q\nA: x…\nB: y\n" with 300 x = 315 tokens
    expect(render('q', 'x'.repeat(300), 'y')).toContain(
      'Too long for the context (315 tokens, the model reads 256): that leaves 0 for the trace',
    );
    // <bos> + "Q: q\nA: a\nB: b\n" = 16 tokens
    expect(render('q', 'a', 'b')).toMatch(/The prompt takes 16 of the model's 256 context tokens; 240 are left/);
    expect(render('q', 'a', 'b')).not.toContain('checking');
    expect(render('q', 'a', 'b', tok, true)).toContain('240 are left for the trace. (checking the edited text…)');
  });
});

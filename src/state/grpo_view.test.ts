import { describe, expect, it } from 'vitest';
import { defaultTokenizer } from '../engine/tokenizer';
import { worldTokenizer } from '../rm/world_vocab';
import { tokenPieces } from './grpo_view';

describe('tokenPieces', () => {
  it('shows a world-tokenizer judgement word by word, from the pieces the step recorded', () => {
    const tok = worldTokenizer();
    const tokens = tok.encode('<eval>1A:3 ok 1B:APPLE no</eval>').ids;
    const pieces = tokens.map((id) => tok.decode([id]));
    expect(tokenPieces({ tokens, pieces })).toEqual([
      '<eval>',
      '1',
      'A',
      ':',
      '3',
      ' ok',
      ' ',
      '1',
      'B',
      ':',
      'APPLE',
      ' no',
      '</eval>',
    ]);
  });
  it('decodes reports stored before pieces existed with the character tokenizer those runs used', () => {
    const tokens = defaultTokenizer().encode('[[A]]').ids;
    expect(tokenPieces({ tokens })).toEqual(['[', '[', 'A', ']', ']']);
  });
});

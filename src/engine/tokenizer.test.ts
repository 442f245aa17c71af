// What must hold for the character-level tokenizer: exact round trips, <unk> with positions, tags as
// single tokens, added words matched longest first wherever they overlap (checked against a plain search), and
// a tokenizer.json that HF `tokenizers` can load and we can load back.
import { Tokenizer as HFLibTokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import {
  CHAR_TOKENS,
  CONTROL_TOKENS,
  TAG_TOKENS,
  Tokenizer,
  defaultTokenizer,
  type HFTokenizerJson,
} from './tokenizer';

const tok = defaultTokenizer();
const ASCII = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');

describe('Tokenizer', () => {
  it('has the documented layout: 4 control tokens, 20 tags, 96 characters', () => {
    expect([tok.padId, tok.bosId, tok.eosId, tok.unkId]).toEqual([0, 1, 2, 3]);
    expect(tok.vocabSize).toBe(4 + 20 + 96);
    expect(tok.tokenToId('<type>')).toBe(4);
    expect(tok.tokenToId('</answer>')).toBe(23);
    expect(tok.tokenToId('\n')).toBe(24);
    expect(tok.tokenToId(' ')).toBe(25);
    expect(tok.tokenToId('~')).toBe(119);
    expect(tok.idToToken(26)).toBe('!');
    expect(tok.idToToken(tok.vocabSize)).toBeUndefined();
  });

  it('round-trips all printable ASCII, newlines and every tag exactly', () => {
    const text = `${ASCII}\n\n${TAG_TOKENS.join('x')}\n${ASCII}<type</>`;
    const { ids, unknown } = tok.encode(text);
    expect(unknown).toEqual([]);
    expect(tok.decode(ids)).toBe(text);
    expect(ids.length).toBe(2 * 95 + 3 + TAG_TOKENS.length * 2 - 1 + 5 + 3);
  });

  it('encodes a tag inside text as one token, greedily', () => {
    const { ids } = tok.encode('a<answer>[[B]]</answer>b');
    expect(ids).toEqual([
      tok.tokenToId('a'),
      tok.tokenToId('<answer>'),
      ...'[[B]]'.split('').map((c) => tok.tokenToId(c)),
      tok.tokenToId('</answer>'),
      tok.tokenToId('b'),
    ]);
    // a half tag is plain characters
    expect(tok.encode('<answer').ids.length).toBe(7);
  });

  it('matches the longest added token at each position, as trying every added token in turn does', () => {
    const words = [' th', ' the', ' there', 'the', 'he', 'ab', 'abc', 'abcd', ' ', 'é!'];
    const added = [...CONTROL_TOKENS, ...TAG_TOKENS, ...words].map((content) => ({ content, special: false }));
    const t = new Tokenizer(
      [...CONTROL_TOKENS, ...TAG_TOKENS, ...CHAR_TOKENS.filter((c) => c !== ' '), ...words],
      added,
    );
    /** The reference: at each position the longest added token the text starts with there, else one character. */
    const reference = (text: string) => {
      const pieces: string[] = [];
      for (let i = 0; i < text.length; ) {
        const match = added.map((a) => a.content).filter((w) => text.startsWith(w, i));
        const piece = match.sort((x, y) => y.length - x.length)[0] ?? String.fromCodePoint(text.codePointAt(i)!);
        pieces.push(piece);
        i += piece.length;
      }
      return pieces.map((p) => t.tokenToId(p) ?? t.unkId);
    };
    const parts = [...words, 'x', 'a', 't', 'h', '<ans', '<answer>', '\n', 'é', '😀', ' thex', 'abcab'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let k = 0; k < 300; k++) {
      const text = Array.from({ length: next() % 12 }, () => parts[next() % parts.length]).join('');
      expect(t.encode(text).ids, JSON.stringify(text)).toEqual(reference(text));
    }
  });

  it('adds <bos>/<eos> on request and skipSpecial drops only pad/bos/eos', () => {
    const { ids } = tok.encode('<eval>hi</eval>', { bos: true, eos: true });
    expect(ids[0]).toBe(tok.bosId);
    expect(ids[ids.length - 1]).toBe(tok.eosId);
    expect(tok.decode([...ids, tok.padId])).toBe('<bos><eval>hi</eval><eos><pad>');
    expect(tok.decode([...ids, tok.padId], { skipSpecial: true })).toBe('<eval>hi</eval>');
  });

  it('maps characters outside the vocabulary to <unk>, reporting each with its position', () => {
    const text = 'caf\u00e9\tok \u{1F600}!';
    const { ids, unknown } = tok.encode(text);
    expect(unknown).toEqual([
      { char: '\u00e9', index: 3 },
      { char: '\t', index: 4 },
      { char: '\u{1F600}', index: 8 },
    ]);
    expect(ids.filter((i) => i === tok.unkId).length).toBe(3); // the emoji (2 UTF-16 units) is one <unk>
    expect(ids.length).toBe(10);
    expect(tok.decode(ids)).toBe('caf<unk><unk>ok <unk>!');
  });

  it('rejects ids outside the vocabulary when decoding', () => {
    expect(() => tok.decode([5, 999])).toThrow(/id 999 is outside the vocabulary/);
  });
});

describe('tokenizer.json', () => {
  it('HF tokenizers (the library real models use) reads it to the same ids; pieces are the tokens', () => {
    const hf = new HFLibTokenizer(tok.toHFJson(), {});
    for (const text of [ASCII, 'Q: 2+2?\nA: <answer>[[A]]</answer>', '<bos><eos> <pad>x<unk><answer']) {
      expect(hf.encode(text, { add_special_tokens: false }).ids).toEqual(tok.encode(text).ids);
      expect(tok.encode(text).ids.map((id) => tok.piece(id))).toEqual(hf.tokenize(text));
    }
    expect([tok.eosIds, tok.specialTokens, tok.chatTemplate]).toEqual([[2], [...CONTROL_TOKENS, ...TAG_TOKENS], null]);
  });

  const j = tok.toHFJson();

  it('is a char-level HF BPE tokenizer with contiguous ids and special added tokens', () => {
    expect(j.version).toBe('1.0');
    expect([j.truncation, j.padding, j.normalizer, j.pre_tokenizer, j.post_processor]).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(j.model.type).toBe('BPE');
    expect(j.model.merges).toEqual([]);
    expect(j.model.unk_token).toBe('<unk>');
    expect(j.decoder).toEqual({ type: 'Fuse' });
    const ids = Object.values(j.model.vocab).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: tok.vocabSize }, (_, i) => i));
    expect(j.added_tokens.map((a) => a.content)).toEqual(['<pad>', '<bos>', '<eos>', '<unk>', ...TAG_TOKENS]);
    for (const a of j.added_tokens) {
      expect(a).toEqual({
        id: j.model.vocab[a.content],
        content: a.content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      });
    }
    for (const c of CHAR_TOKENS) expect(j.model.vocab[c]).toBe(tok.tokenToId(c));
  });

  it('loads back to an identical tokenizer, also through JSON text', () => {
    const back = Tokenizer.fromHFJson(JSON.parse(JSON.stringify(j)));
    expect(back.toHFJson()).toEqual(j);
    const text = `<type>Chat</type>\n<rubric>1. ${ASCII}</rubric>`;
    expect(back.encode(text)).toEqual(tok.encode(text));
  });

  it('keeps added tokens named after object keys ("__proto__", "constructor") through tokenizer.json', () => {
    const names = ['__proto__', 'constructor', 'toString'];
    const withNames = new Tokenizer(
      [...CONTROL_TOKENS, ...CHAR_TOKENS, ...names],
      [...CONTROL_TOKENS, ...names].map((content) => ({ content, special: false })),
    );
    const json = withNames.toHFJson();
    expect(Object.keys(json.model.vocab)).toHaveLength(withNames.vocabSize);
    const back = Tokenizer.fromHFJson(JSON.parse(JSON.stringify(json)));
    expect(names.map((n) => back.tokenToId(n))).toEqual(names.map((n) => withNames.tokenToId(n)));
  });

  const broken: [string, (x: HFTokenizerJson) => unknown, RegExp][] = [
    ['not an object', () => [1, 2], /expected a JSON object/],
    ['no model', (x) => ({ ...x, model: undefined }), /missing "model"/],
    ['no vocab', (x) => ({ ...x, model: { ...x.model, vocab: undefined } }), /missing model\.vocab/],
    [
      'an id gap',
      (x) => {
        const v = { ...x.model.vocab };
        delete v['!'];
        return { ...x, model: { ...x.model, vocab: v } };
      },
      /id gap, no token has id 26/,
    ],
    [
      'a duplicate id',
      (x) => ({ ...x, model: { ...x.model, vocab: { ...x.model.vocab, '!': 27 } } }),
      /duplicate id 27/,
    ],
    [
      'a non-integer id',
      (x) => ({ ...x, model: { ...x.model, vocab: { ...x.model.vocab, '!': 'a' } } }),
      /is not a non-negative integer id/,
    ],
    ['merges', (x) => ({ ...x, model: { ...x.model, merges: ['a b'] } }), /model\.merges has 1 entries/],
    ['a WordPiece model', (x) => ({ ...x, model: { ...x.model, type: 'WordPiece' } }), /model\.type is "WordPiece"/],
    [
      'an added token with the wrong id',
      (x) => ({ ...x, added_tokens: [{ ...x.added_tokens[6], id: 40 }] }),
      /added_tokens\[0\] "<rubric>" has id 40, but model\.vocab gives it 6/,
    ],
    [
      'a multi-char token that is not added',
      (x) => ({ ...x, added_tokens: x.added_tokens.slice(0, 4) }),
      /"<type>" is neither one character nor an added token/,
    ],
    [
      'no <unk>',
      (x) => {
        const v = { ...x.model.vocab };
        delete v['<unk>'];
        v['\t'] = 3;
        return {
          ...x,
          added_tokens: x.added_tokens.filter((a) => a.content !== '<unk>'),
          model: { ...x.model, vocab: v },
        };
      },
      /required token <unk> is missing/,
    ],
  ];
  for (const [what, breakIt, msg] of broken) {
    it(`refuses a tokenizer.json with ${what}`, () => {
      expect(() => Tokenizer.fromHFJson(breakIt(structuredClone(j)))).toThrow(msg);
    });
  }
});

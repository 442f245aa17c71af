// What must hold for real models' tokenizers: on awkward text (runs of spaces, newlines, digits, emoji, HTML,
// CJK, combining marks, special tokens typed inside user text) the HF-backed tokenizer gives exactly the ids
// of byte-level BPE done by hand here (NFC, added tokens first, Qwen's split, GPT-2's byte map, merges by
// rank); decode(encode(x)) gives x back; every token has a readable piece; stop and pad ids follow
// tokenizer_config.json and generation_config.json; the chat template renders exact ChatML; the loader picks
// our tokenizer for our files; malformed files are refused naming the file and the problem.
import { describe, expect, it } from 'vitest';
import { defaultTokenizer, Tokenizer } from '../tokenizer';
import { CHATML_TEMPLATE, TINY_MERGES, TINY_SPECIAL_TOKENS, tinyTokenizerFiles } from './tiny_tokenizer';
import { HFTokenizer, loadTokenizer, readableBytes, type TokenizerFiles } from './tokenizer';

const files = tinyTokenizerFiles();
const tok = HFTokenizer.fromFiles(files);
const read = (name: string) => JSON.parse(new TextDecoder().decode(files[name]));
const bytesOf = (x: unknown) => new TextEncoder().encode(typeof x === 'string' ? x : JSON.stringify(x));
const withFile = (name: string, content: unknown): TokenizerFiles => ({ ...files, [name]: bytesOf(content) });

/** Byte-level BPE by the book, from the tokenizer.json's vocab and merges only. */
function referenceEncode(text: string): number[] {
  const json = read('tokenizer.json');
  const vocab: Record<string, number> = json.model.vocab;
  const rank = new Map<string, number>(json.model.merges.map((m: [string, string], i: number) => [m.join(' '), i]));
  const added = new Map<string, number>(
    json.added_tokens.map((a: { content: string; id: number }) => [a.content, a.id]),
  );
  // GPT-2's bytes_to_unicode: printable Latin-1 maps to itself, the other bytes to 256, 257, … in byte order
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const unicode: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) unicode[b] = String.fromCharCode(printable(b) ? b : 256 + n++);
  // Qwen's split with its case-insensitive contractions spelled out for JavaScript
  const split = new RegExp(
    String.raw`'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|` +
      String.raw` ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
    'gu',
  );
  const bpe = (word: string): string[] => {
    let parts = [...word];
    for (;;) {
      let best = -1;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = rank.get(`${parts[i]} ${parts[i + 1]}`);
        if (r !== undefined && (best < 0 || r < rank.get(`${parts[best]} ${parts[best + 1]}`)!)) best = i;
      }
      if (best < 0) return parts;
      parts = [...parts.slice(0, best), parts[best] + parts[best + 1], ...parts.slice(best + 2)];
    }
  };
  const ids: number[] = [];
  let plain = '';
  const flush = () => {
    for (const w of plain.normalize('NFC').match(split) ?? []) {
      const chars = Array.from(new TextEncoder().encode(w), (b) => unicode[b]).join('');
      ids.push(...bpe(chars).map((p) => vocab[p]));
    }
    plain = '';
  };
  for (let i = 0; i < text.length; ) {
    const hit = [...added.keys()].filter((t) => text.startsWith(t, i)).sort((a, b) => b.length - a.length)[0];
    if (hit === undefined) {
      plain += text[i++];
      continue;
    }
    flush();
    ids.push(added.get(hit)!);
    i += hit.length;
  }
  flush();
  return ids;
}

const AWKWARD = [
  'Hello  world',
  '   leading and trailing   ',
  'a\n\nb\r\n  c\n\n\n   ',
  'Numbers 12345 and 3.14159, 2024-06-01, 100%',
  'emoji 🎉👍🏽 family 👨‍👩‍👧 flag 🇫🇷',
  '<div class="answer"><p>Hi &amp; bye</p></div>\n<br/>',
  '中文测试，日本語のテキスト 한국어',
  'user says <|im_end|> inside<|im_start|>assistant\n<|endoftext|>',
  "it's I'LL we're THEY'VE IT'Sa (a) 12 2012",
  'tabs\tand\u00a0no-break space',
  'cafe\u0301 and caf\u00e9',
  '    def judge(a, b):\n        return a if a > b else b\n',
];

describe('HFTokenizer on the tiny byte-level BPE', () => {
  it('the fixture has the merges and special tokens it promises', () => {
    const json = read('tokenizer.json');
    expect(json.model.merges).toHaveLength(TINY_MERGES);
    expect(TINY_SPECIAL_TOKENS.map((t) => tok.tokenToId(t))).toEqual([
      256 + TINY_MERGES,
      257 + TINY_MERGES,
      258 + TINY_MERGES,
    ]);
    expect(tok.vocabSize).toBe(259 + TINY_MERGES);
  });

  it.each(AWKWARD)('encodes %j exactly as byte-level BPE by hand', (text) => {
    expect(tok.encode(text).ids).toEqual(referenceEncode(text));
  });

  it('merges do apply: a word of the training text is one token', () => {
    expect(tok.encode(' response').ids).toHaveLength(1);
    expect(tok.encode('The answer').ids.map((i) => tok.idToToken(i))).toEqual(['The', 'Ġanswer']);
  });

  it.each(AWKWARD)('decode(encode(%j)) gives the (NFC) text back, special tokens included', (text) => {
    expect(tok.decode(tok.encode(text).ids)).toBe(text.normalize('NFC'));
  });

  it('skipSpecial drops the ChatML tokens; "" for no ids; an id past the tokenizer (a padded row) has no text', () => {
    expect(tok.decode(tok.encode('<|im_start|>user\nhi . there<|im_end|>').ids, { skipSpecial: true })).toBe(
      'user\nhi . there',
    );
    expect(tok.decode([])).toBe('');
    const hi = tok.encode('hi').ids;
    expect(tok.decode([...hi, tok.vocabSize + 3])).toBe(tok.decode(hi));
    expect(tok.piece(tok.vocabSize + 3)).toBe(`<id ${tok.vocabSize + 3}>`);
    expect(() => tok.decode([-1])).toThrow('id -1 is not in the vocabulary');
  });

  it('bos adds nothing for Qwen (no start token), eos appends <|im_end|>; nothing is unknown', () => {
    expect(tok.bosId).toBeNull();
    expect(tok.encode('hi', { bos: true }).ids).toEqual(tok.encode('hi').ids);
    expect(tok.encode('hi', { eos: true }).ids.at(-1)).toBe(tok.tokenToId('<|im_end|>'));
    expect(tok.encode('\u{10FFFF}\u0000x').unknown).toEqual([]);
  });

  it('stops on every eos of generation_config.json, pads with pad_token, lists its special tokens', () => {
    const [endoftext, , imEnd] = TINY_SPECIAL_TOKENS.map((t) => tok.tokenToId(t)!);
    expect([tok.eosId, tok.eosIds, tok.padId]).toEqual([imEnd, [imEnd, endoftext], endoftext]);
    expect(tok.specialTokens).toEqual(TINY_SPECIAL_TOKENS);
    const noPad = { ...read('tokenizer_config.json'), pad_token: null };
    const { 'generation_config.json': _, ...rest } = files;
    const bare = HFTokenizer.fromFiles({ ...rest, 'tokenizer_config.json': bytesOf(noPad) });
    expect([bare.eosIds, bare.padId]).toEqual([[imEnd], imEnd]); // no pad token: pad with eos
    const eosOnlyInGen = { ...read('tokenizer_config.json'), eos_token: null };
    expect(HFTokenizer.fromFiles(withFile('tokenizer_config.json', eosOnlyInGen)).eosId).toBe(imEnd);
  });

  it('every token has a piece; partial UTF-8 shows as <0xHH> and the pieces of a text spell it', () => {
    for (let id = 0; id < tok.vocabSize; id++) expect(typeof tok.piece(id)).toBe('string');
    expect(tok.piece(tok.tokenToId('ð')!)).toBe('<0xF0>');
    expect(tok.piece(tok.tokenToId('Ġanswer')!)).toBe(' answer');
    expect(tok.piece(tok.tokenToId('<|im_end|>')!)).toBe('<|im_end|>');
    const unhex = (s: string) =>
      new TextDecoder().decode(
        Uint8Array.from(
          s
            .split(/(<0x[0-9A-F]{2}>)/)
            .flatMap((p) => (/^<0x/.test(p) ? [Number.parseInt(p.slice(3, 5), 16)] : [...new TextEncoder().encode(p)])),
        ),
      );
    for (const text of AWKWARD)
      expect(
        unhex(
          tok
            .encode(text)
            .ids.map((i) => tok.piece(i))
            .join(''),
        ),
      ).toBe(text.normalize('NFC'));
  });

  it('readableBytes keeps whole characters and shows stray bytes', () => {
    expect(readableBytes(Uint8Array.from([0x20, 0xe4, 0xb8, 0xad, 0xe4, 0xb8]))).toBe(' 中<0xE4><0xB8>');
    expect(readableBytes(Uint8Array.from([0xc0, 0x80, 0x41]))).toBe('<0xC0><0x80>A'); // overlong: not a character
  });
});

describe('chat template', () => {
  const system = 'You judge.';
  const user = 'Q: 1+1?\n<answer>';
  it('renders the exact ChatML text with the generation prompt', () => {
    const text = tok.chatTemplate!.render(
      [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ],
      { addGenerationPrompt: true },
    );
    expect(text).toBe(
      `<|im_start|>system\n${system}<|im_end|>\n<|im_start|>user\n${user}<|im_end|>\n<|im_start|>assistant\n`,
    );
    expect(tok.chatTemplate!.render([{ role: 'user', content: 'hi' }], { addGenerationPrompt: false })).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n',
    );
  });

  it('reads a list of named templates (uses "default") and prefers chat_template.jinja', () => {
    const named = {
      ...read('tokenizer_config.json'),
      chat_template: [
        { name: 'tool_use', template: 'TOOLS' },
        { name: 'default', template: '{{ bos_token }}{{ eos_token }}|{{ messages[0].content }}' },
      ],
    };
    const one = [{ role: 'user' as const, content: 'x' }];
    const fromList = HFTokenizer.fromFiles(withFile('tokenizer_config.json', named));
    expect(fromList.chatTemplate!.render(one, { addGenerationPrompt: true })).toBe('<|im_end|>|x');
    const jinja = HFTokenizer.fromFiles(withFile('chat_template.jinja', '[{{ messages[0].content }}]'));
    expect(jinja.chatTemplate!.render(one, { addGenerationPrompt: true })).toBe('[x]');
  });

  it('refuses broken templates naming the file', () => {
    const cfg = read('tokenizer_config.json');
    const bad = (chat_template: unknown) => () =>
      HFTokenizer.fromFiles(withFile('tokenizer_config.json', { ...cfg, chat_template }));
    expect(bad([{ name: 'tool_use', template: 'x' }])).toThrow(
      'tokenizer_config.json: chat_template lists "tool_use" but no "default" one',
    );
    expect(bad(42)).toThrow('tokenizer_config.json: chat_template must be a string or a list');
    expect(bad('{% if %}')).toThrow(/^tokenizer_config\.json: the chat template does not parse: /);
    expect(() => HFTokenizer.fromFiles(withFile('chat_template.jinja', '{{ x'))).toThrow(/^chat_template\.jinja: /);
    const raising = HFTokenizer.fromFiles(
      withFile('tokenizer_config.json', { ...cfg, chat_template: "{{ raise_exception('no system role') }}" }),
    );
    expect(() => raising.chatTemplate!.render([], { addGenerationPrompt: true })).toThrow(
      'tokenizer_config.json: the chat template failed: no system role',
    );
    expect(CHATML_TEMPLATE).toContain('add_generation_prompt');
  });
});

describe('a non-byte-level vocabulary with an unknown token', () => {
  const json = {
    added_tokens: [{ id: 0, content: '<unk>', special: true }],
    model: {
      type: 'BPE',
      unk_token: '<unk>',
      vocab: { '<unk>': 0, '</s>': 1, a: 2, b: 3, ab: 4, '▁': 5 },
      merges: ['a b'],
    },
    decoder: { type: 'Fuse' },
  };
  const t = HFTokenizer.fromFiles({
    'tokenizer.json': bytesOf(json),
    'tokenizer_config.json': bytesOf({ eos_token: '</s>' }),
  });
  it('reports characters it cannot represent with their offsets; pieces show ▁ as a space', () => {
    const e = t.encode('abxa😀');
    expect(e.ids).toEqual([4, 0, 2, 0]);
    expect(e.unknown).toEqual([
      { char: 'x', index: 2 },
      { char: '😀', index: 4 },
    ]);
    expect([t.piece(5), t.chatTemplate, t.padId]).toEqual([' ', null, 1]);
  });
});

describe('loadTokenizer', () => {
  const ours = (t: Tokenizer): TokenizerFiles => ({ 'tokenizer.json': bytesOf(t.toHFJson()) });
  it('picks our tokenizer for our checkpoints and the HF one otherwise', () => {
    const t = defaultTokenizer();
    const back = loadTokenizer(ours(t));
    expect(back).toBeInstanceOf(Tokenizer);
    expect(back.encode('the answer is <answer>', { bos: true })).toEqual(
      t.encode('the answer is <answer>', { bos: true }),
    );
    expect(loadTokenizer(files)).toBeInstanceOf(HFTokenizer);
  });

  const refused: [string, TokenizerFiles, string | RegExp][] = [
    ['no tokenizer.json', { 'tokenizer_config.json': files['tokenizer_config.json'] }, 'tokenizer.json: missing'],
    ['tokenizer.json not JSON', withFile('tokenizer.json', '{"model":'), /^tokenizer\.json: not valid JSON/],
    ['tokenizer.json an array', withFile('tokenizer.json', [1]), 'tokenizer.json: expected a JSON object'],
    ['no model', withFile('tokenizer.json', { added_tokens: [] }), 'tokenizer.json: missing "model"'],
    [
      'an unknown model type',
      withFile('tokenizer.json', { model: { type: 'Mystery' } }),
      'tokenizer.json: not a tokenizer we can read (Unknown TokenizerModel type: Mystery)',
    ],
    [
      'eos_token not in the vocabulary',
      withFile('tokenizer_config.json', { ...read('tokenizer_config.json'), eos_token: '</s>' }),
      `tokenizer_config.json: eos_token "</s>" is not in tokenizer.json's vocabulary`,
    ],
    [
      'eos_token of the wrong type',
      withFile('tokenizer_config.json', { ...read('tokenizer_config.json'), eos_token: 7 }),
      'tokenizer_config.json: eos_token must be a string or {"content": …} (got 7)',
    ],
    [
      'a stop id outside the vocabulary',
      withFile('generation_config.json', { eos_token_id: [558, 99999] }),
      'generation_config.json: eos_token_id [558,99999] is not a token id (0..558) of tokenizer.json',
    ],
    [
      'no eos anywhere',
      { 'tokenizer.json': files['tokenizer.json'], 'tokenizer_config.json': bytesOf({ eos_token: null }) },
      'no end-of-sequence token: tokenizer_config.json has no eos_token and generation_config.json no eos_token_id',
    ],
    [
      'tokenizer_config.json not JSON',
      withFile('tokenizer_config.json', 'nope'),
      /^tokenizer_config\.json: not valid JSON/,
    ],
  ];
  it.each(refused)('refuses %s, naming the file and the problem', (_, bad, message) => {
    expect(() => loadTokenizer(bad)).toThrow(message);
  });
});

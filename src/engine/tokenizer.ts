// Character-level tokenizer: 4 control tokens, one token per Chain-of-Rubrics tag, then '\n' and
// printable ASCII. Added tokens (control + tags) are matched greedily anywhere in the text, as Hugging
// Face `tokenizers` does with special added tokens, so our ids and HF's agree on the exported
// tokenizer.json. One of the TextTokenizers (text_tokenizer.ts); real models' tokenizers are hf/tokenizer.ts.
// Leaves out merges (BPE), normalisation and byte fallback: other characters are <unk>.

import { keyedTable } from './keyed_table';
import type { DecodeOptions, EncodeOptions, Encoding, TextTokenizer, UnknownChar } from './text_tokenizer';

export const CONTROL_TOKENS = ['<pad>', '<bos>', '<eos>', '<unk>'] as const;

export const TAG_TOKENS = [
  '<type>',
  '</type>',
  '<rubric>',
  '</rubric>',
  '<justify>',
  '</justify>',
  '<solution>',
  '</solution>',
  '<eval>',
  '</eval>',
  '<quote_A>',
  '</quote_A>',
  '<summary_A>',
  '</summary_A>',
  '<quote_B>',
  '</quote_B>',
  '<summary_B>',
  '</summary_B>',
  '<answer>',
  '</answer>',
] as const;

/** '\n' then ' '..'~' (32..126): 96 characters. */
export const CHAR_TOKENS: string[] = ['\n', ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))];

export interface AddedToken {
  content: string;
  special: boolean;
}
/** The subset of HF's tokenizer.json that we write and read. */
export interface HFTokenizerJson {
  version: string;
  truncation: null;
  padding: null;
  added_tokens: {
    id: number;
    content: string;
    single_word: boolean;
    lstrip: boolean;
    rstrip: boolean;
    normalized: boolean;
    special: boolean;
  }[];
  normalizer: null;
  pre_tokenizer: null;
  post_processor: null;
  decoder: { type: 'Fuse' };
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: string;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: string[];
  };
}

interface AddedNode {
  next: Map<number, AddedNode>;
  token?: string; // an added token ends here
}

export class Tokenizer implements TextTokenizer {
  readonly vocabSize: number;
  readonly padId: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly eosIds: readonly number[];
  readonly unkId: number;
  /** Control tokens and tags: typed in a text, the model reads them as its own (world words are plain text). */
  readonly specialTokens: readonly string[];
  readonly chatTemplate = null;
  private readonly tokens: string[];
  private readonly ids: Map<string, number>;
  private readonly added: AddedToken[];
  /** Added tokens as a trie over UTF-16 code units, for greedy longest matching in one pass (the world
   * tokenizer has ~550 words starting with a space: trying each in turn made a 5 MB text take seconds). */
  private readonly addedTrie: AddedNode;

  /** `tokens[id]` is the token's text; every token that is not one character must be in `added`. */
  constructor(tokens: string[], added: AddedToken[]) {
    this.tokens = [...tokens];
    this.ids = new Map(tokens.map((t, i) => [t, i]));
    if (this.ids.size !== tokens.length) throw new Error('Tokenizer: duplicate token in vocabulary');
    this.added = added.map((a) => ({ ...a }));
    const addedSet = new Set(added.map((a) => a.content));
    for (const a of added)
      if (!this.ids.has(a.content))
        throw new Error(`Tokenizer: added token ${JSON.stringify(a.content)} is not in the vocabulary`);
    for (const t of tokens) {
      if (!addedSet.has(t) && [...t].length !== 1)
        throw new Error(`Tokenizer: vocabulary token ${JSON.stringify(t)} is neither one character nor an added token`);
    }
    const need = (t: string) => {
      const id = this.ids.get(t);
      if (id === undefined) throw new Error(`Tokenizer: required token ${t} is missing`);
      return id;
    };
    [this.padId, this.bosId, this.eosId, this.unkId] = CONTROL_TOKENS.map(need);
    this.eosIds = [this.eosId];
    this.specialTokens = added.filter((a) => a.special).map((a) => a.content);
    this.vocabSize = tokens.length;
    this.addedTrie = { next: new Map() };
    for (const a of added) {
      let node = this.addedTrie;
      for (let k = 0; k < a.content.length; k++) {
        const c = a.content.charCodeAt(k);
        let child = node.next.get(c);
        if (!child) {
          child = { next: new Map() };
          node.next.set(c, child);
        }
        node = child;
      }
      node.token = a.content;
    }
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  /** Every token is whole text here (characters and added tokens). */
  piece(id: number): string {
    return this.decode([id]);
  }

  /** The longest added token that `text` holds at `i`. */
  private longestAdded(text: string, i: number): string | undefined {
    let node: AddedNode | undefined = this.addedTrie,
      found: string | undefined;
    for (let j = i; node && j < text.length; j++) {
      node = node.next.get(text.charCodeAt(j));
      if (node?.token !== undefined) found = node.token;
    }
    return found;
  }

  /** Added tokens first (greedy, longest match), then one token per code point; the rest → <unk>. */
  encode(text: string, opts: EncodeOptions = {}): Encoding {
    const ids: number[] = [];
    const unknown: UnknownChar[] = [];
    if (opts.bos) ids.push(this.bosId);
    let i = 0;
    while (i < text.length) {
      const tag = this.longestAdded(text, i);
      if (tag !== undefined) {
        ids.push(this.ids.get(tag)!);
        i += tag.length;
        continue;
      }
      const char = String.fromCodePoint(text.codePointAt(i)!); // an emoji is one <unk>, not two
      const id = this.ids.get(char);
      if (id === undefined) {
        unknown.push({ char, index: i });
        ids.push(this.unkId);
      } else ids.push(id);
      i += char.length;
    }
    if (opts.eos) ids.push(this.eosId);
    return { ids, unknown };
  }

  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    let out = '';
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      if (opts.skipSpecial && (id === this.padId || id === this.bosId || id === this.eosId)) continue;
      const t = this.tokens[id];
      if (t === undefined)
        throw new Error(`Tokenizer.decode: id ${id} is outside the vocabulary (size ${this.vocabSize})`);
      out += t;
    }
    return out;
  }

  /** A tokenizer.json for HF `tokenizers`: a BPE model with no merges is character-level there. */
  toHFJson(): HFTokenizerJson {
    const vocab = keyedTable(this.tokens.map((t, i) => [t, i])); // a token may be named "__proto__"
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: this.added.map((a) => ({
        id: this.ids.get(a.content)!,
        content: a.content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: a.special,
      })),
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: { type: 'Fuse' },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: '<unk>',
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab,
        merges: [],
      },
    };
  }

  /** Loads a tokenizer.json written by `toHFJson` (or any char-level one like it); throws naming the problem. */
  static fromHFJson(json: unknown): Tokenizer {
    const [tokens, added] = parseHFJson(json);
    try {
      return new Tokenizer(tokens, added);
    } catch (e) {
      return fail((e as Error).message.replace(/^Tokenizer: /, ''));
    }
  }
}

function fail(msg: string): never {
  throw new Error(`tokenizer.json: ${msg}`);
}

function parseHFJson(json: unknown): [string[], AddedToken[]] {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('expected a JSON object');
  const j = json as Record<string, unknown>;
  const model = j.model as Record<string, unknown> | null | undefined;
  if (typeof model !== 'object' || model === null) fail('missing "model"');
  if (model.type !== 'BPE')
    fail(`model.type is ${JSON.stringify(model.type)}, expected "BPE" (character-level, no merges)`);
  if (Array.isArray(model.merges) && model.merges.length > 0)
    fail(
      `model.merges has ${model.merges.length} entries; only character-level vocabularies (no merges) are supported`,
    );
  const vocab = model.vocab;
  if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) fail('missing model.vocab');
  const tokens: string[] = [];
  for (const [tok, id] of Object.entries(vocab as Record<string, unknown>)) {
    if (!Number.isInteger(id) || (id as number) < 0)
      fail(`model.vocab[${JSON.stringify(tok)}] = ${JSON.stringify(id)} is not a non-negative integer id`);
    const n = id as number;
    if (tokens[n] !== undefined)
      fail(`model.vocab: duplicate id ${n} (${JSON.stringify(tokens[n])} and ${JSON.stringify(tok)})`);
    tokens[n] = tok;
  }
  for (let i = 0; i < tokens.length; i++)
    if (tokens[i] === undefined)
      fail(`model.vocab: id gap, no token has id ${i} (ids must be 0..${tokens.length - 1})`);
  const rawAdded = j.added_tokens ?? [];
  if (!Array.isArray(rawAdded)) fail('"added_tokens" is not an array');
  const added = rawAdded.map((a: unknown, k: number): AddedToken => {
    const t = (a ?? {}) as { id?: unknown; content?: unknown; special?: unknown };
    if (typeof t.content !== 'string') fail(`added_tokens[${k}] has no "content" string`);
    if (tokens[t.id as number] !== t.content)
      fail(
        `added_tokens[${k}] ${JSON.stringify(t.content)} has id ${JSON.stringify(t.id)}, but model.vocab gives ` +
          `it ${tokens.indexOf(t.content)}`,
      );
    return { content: t.content, special: t.special === true };
  });
  return [tokens, added];
}

let defaultInstance: Tokenizer | null = null;

/** The project's tokenizer: <pad>=0 <bos>=1 <eos>=2 <unk>=3, the 20 tags (4..23), then 96 characters. */
export function defaultTokenizer(): Tokenizer {
  defaultInstance ??= new Tokenizer(
    [...CONTROL_TOKENS, ...TAG_TOKENS, ...CHAR_TOKENS],
    [...CONTROL_TOKENS, ...TAG_TOKENS].map((content) => ({ content, special: true })),
  );
  return defaultInstance;
}

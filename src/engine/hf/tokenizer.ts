// A real model's tokenizer as a TextTokenizer: tokenizer.json and tokenizer_config.json through
// @huggingface/tokenizers (byte-level BPE, SentencePiece-style BPE, added tokens matched inside text), the
// stop ids from generation_config.json (eos_token_id may be a list), and the chat template (chat_template.ts).
// `loadTokenizer` picks ours (tokenizer.ts: no merges, our control tokens) or this one for a folder's files.
// Every problem names its file. Leaves out training tokenizers, truncation and padding settings, and offsets.
import { Tokenizer as HFLibTokenizer } from '@huggingface/tokenizers';
import type { ChatTemplate, DecodeOptions, EncodeOptions, Encoding, TextTokenizer } from '../text_tokenizer';
import { CONTROL_TOKENS, Tokenizer } from '../tokenizer';
import { chatTemplate, configTemplate, type TemplateSource } from './chat_template';

/** A model folder's files, name → bytes (the checkpoint layout). */
export type TokenizerFiles = Record<string, Uint8Array>;
/** The files a tokenizer is read from; only tokenizer.json is required. */
export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'generation_config.json',
  'chat_template.jinja',
] as const;

type Json = Record<string, unknown>;

function readJson(files: TokenizerFiles, name: string): Json | null {
  const bytes = files[name];
  if (bytes === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new Error(`${name}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${name}: expected a JSON object`);
  return value as Json;
}

/** GPT-2's byte ↔ character map: printable Latin-1 bytes stand for themselves, the rest shift past 255. */
const BYTE_OF_CHAR: ReadonlyMap<string, number> = (() => {
  const keep = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const map = new Map<string, number>();
  let shifted = 0;
  for (let b = 0; b < 256; b++) map.set(String.fromCharCode(keep(b) ? b : 256 + shifted++), b);
  return map;
})();

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const utf8Length = (b: number) => (b < 0x80 ? 1 : b < 0xc2 ? 0 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : b < 0xf5 ? 4 : 0);
const hexByte = (b: number) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;

/** Bytes as text: whole UTF-8 characters as themselves, any other byte as <0xHH>. */
export function readableBytes(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const n = utf8Length(bytes[i]);
    const char = n > 0 && i + n <= bytes.length ? tryUtf8(bytes.subarray(i, i + n)) : null;
    out += char ?? hexByte(bytes[i]);
    i += char === null ? 1 : n;
  }
  return out;
}

function tryUtf8(bytes: Uint8Array): string | null {
  try {
    return UTF8.decode(bytes);
  } catch {
    return null;
  }
}

/** A special-token entry of tokenizer_config.json: a string, an AddedToken object, or absent. */
function tokenString(config: Json, key: string): string | null {
  const v = config[key];
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  const content = (v as { content?: unknown }).content;
  if (typeof content === 'string') return content;
  throw new Error(`tokenizer_config.json: ${key} must be a string or {"content": …} (got ${JSON.stringify(v)})`);
}

/** generation_config.json's `key` as a list of ids, each checked against the vocabulary. */
function generationIds(gen: Json | null, key: string, vocabSize: number): number[] {
  const v = gen?.[key];
  if (v === undefined || v === null) return [];
  const ids = Array.isArray(v) ? v : [v];
  for (const id of ids)
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
      throw new Error(
        `generation_config.json: ${key} ${JSON.stringify(v)} is not a token id (0..${vocabSize - 1}) of tokenizer.json`,
      );
  return ids as number[];
}

function isByteLevel(decoder: unknown): boolean {
  const d = decoder as { type?: unknown; decoders?: unknown[] } | null;
  return d?.type === 'ByteLevel' || (d?.type === 'Sequence' && (d.decoders ?? []).some(isByteLevel));
}

/** Our own tokenizer.json (tokenizer.ts): a BPE without merges holding our control tokens. */
function isOwnTokenizerJson(json: Json): boolean {
  const model = json.model as { type?: unknown; merges?: unknown[] } | undefined;
  const added = Array.isArray(json.added_tokens) ? (json.added_tokens as { content?: unknown }[]) : [];
  return (
    model?.type === 'BPE' &&
    (model.merges ?? []).length === 0 &&
    CONTROL_TOKENS.every((t) => added.some((a) => a.content === t))
  );
}

/** The tokenizer for a checkpoint's files: ours for our checkpoints, a Hugging Face one otherwise. */
export function loadTokenizer(files: TokenizerFiles): TextTokenizer {
  const json = readJson(files, 'tokenizer.json');
  if (json === null) throw new Error('tokenizer.json: missing');
  return isOwnTokenizerJson(json) ? Tokenizer.fromHFJson(json) : HFTokenizer.fromFiles(files);
}

interface SpecialIds {
  bosId: number | null;
  eosId: number;
  eosIds: number[];
  padId: number;
}

export class HFTokenizer implements TextTokenizer {
  readonly vocabSize: number;
  readonly bosId: number | null;
  readonly eosId: number;
  readonly eosIds: readonly number[];
  readonly padId: number;
  readonly specialTokens: readonly string[];
  readonly chatTemplate: ChatTemplate | null;
  private readonly unkId: number | null;
  private readonly byteLevel: boolean;
  private readonly cleanUpSpaces: boolean;

  private constructor(
    private readonly lib: HFLibTokenizer,
    json: Json,
    config: Json,
    ids: SpecialIds,
    template: ChatTemplate | null,
  ) {
    this.vocabSize = lib.model!.vocab.length;
    ({ bosId: this.bosId, eosId: this.eosId, eosIds: this.eosIds, padId: this.padId } = ids);
    // Runs of spaces added as tokens (some vocabularies have them) are text, not control tokens.
    this.specialTokens = (json.added_tokens as { content: string }[])
      .map((a) => a.content)
      .filter((c) => c.trim() !== '');
    this.chatTemplate = template;
    this.unkId = lib.model!.unk_token_id ?? null;
    this.byteLevel = isByteLevel(json.decoder);
    // transformers' default is false now; true would turn " ." into "." and break decode(encode(x)) === x.
    this.cleanUpSpaces = config.clean_up_tokenization_spaces === true;
  }

  /** tokenizer.json (required), tokenizer_config.json, generation_config.json and chat_template.jinja. */
  static fromFiles(files: TokenizerFiles): HFTokenizer {
    const raw = readJson(files, 'tokenizer.json');
    if (raw === null) throw new Error('tokenizer.json: missing');
    const config = readJson(files, 'tokenizer_config.json') ?? {};
    const gen = readJson(files, 'generation_config.json');
    const json: Json = { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, ...raw };
    if (typeof json.model !== 'object' || json.model === null) throw new Error('tokenizer.json: missing "model"');
    json.added_tokens ??= [];
    if (!Array.isArray(json.added_tokens)) throw new Error('tokenizer.json: "added_tokens" is not an array');
    let lib: HFLibTokenizer;
    try {
      lib = new HFLibTokenizer(json, config);
    } catch (e) {
      throw new Error(`tokenizer.json: not a tokenizer we can read (${(e as Error).message})`);
    }
    const ids = specialIds(lib, config, gen);
    const jinja = files['chat_template.jinja'];
    const source: TemplateSource | null = jinja
      ? { file: 'chat_template.jinja', text: new TextDecoder().decode(jinja) }
      : configTemplate(config.chat_template);
    const strings = Object.fromEntries(
      ['bos_token', 'eos_token', 'pad_token', 'unk_token'].flatMap((k) => {
        const s = tokenString(config, k);
        return s === null ? [] : [[k, s]];
      }),
    );
    return new HFTokenizer(lib, json, config, ids, source ? chatTemplate(source, strings) : null);
  }

  encode(text: string, opts: EncodeOptions = {}): Encoding {
    const ids = this.lib.encode(text, { add_special_tokens: opts.bos === true }).ids;
    if (opts.eos) ids.push(this.eosId);
    return { ids, unknown: this.unkId !== null && ids.includes(this.unkId) ? this.unknownChars(text) : [] };
  }

  /** The characters that encode to the unknown token on their own (byte-level vocabularies have none). */
  private unknownChars(text: string): Encoding['unknown'] {
    const out: Encoding['unknown'] = [];
    for (let i = 0; i < text.length; ) {
      const char = String.fromCodePoint(text.codePointAt(i)!);
      if (this.lib.encode(char, { add_special_tokens: false }).ids.includes(this.unkId!)) out.push({ char, index: i });
      i += char.length;
    }
    return out;
  }

  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    // an id past the tokenizer is a padded embedding row (Qwen pads to a multiple of 128) that sampling can draw:
    // no text, as Hugging Face's decode skips it
    const list = Array.from(ids).filter((id) => !this.paddedRow(id));
    for (const id of list) this.check(id, 'decode');
    if (list.length === 0) return '';
    return this.lib.decode(list, {
      skip_special_tokens: opts.skipSpecial === true,
      clean_up_tokenization_spaces: this.cleanUpSpaces,
    });
  }

  piece(id: number): string {
    if (this.paddedRow(id)) return `<id ${id}>`;
    const token = this.check(id, 'piece');
    if (this.specialTokens.includes(token)) return token;
    if (!this.byteLevel) return token.replaceAll('\u2581', ' '); // SentencePiece's "▁" is a space
    const bytes = [...token].map((c) => BYTE_OF_CHAR.get(c));
    return bytes.every((b) => b !== undefined) ? readableBytes(Uint8Array.from(bytes)) : token;
  }

  tokenToId(token: string): number | undefined {
    return this.lib.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.lib.id_to_token(id);
  }

  private paddedRow(id: number): boolean {
    return Number.isInteger(id) && id >= this.vocabSize;
  }

  private check(id: number, where: string): string {
    const token = Number.isInteger(id) ? this.lib.id_to_token(id) : undefined;
    if (token === undefined)
      throw new Error(`HFTokenizer.${where}: id ${id} is not in the vocabulary (size ${this.vocabSize})`);
    return token;
  }
}

/** The start, stop and pad ids: tokenizer_config.json's tokens, generation_config.json's extra stop ids. */
function specialIds(lib: HFLibTokenizer, config: Json, gen: Json | null): SpecialIds {
  const vocabSize = lib.model!.vocab.length;
  const idOf = (key: string): number | null => {
    const token = tokenString(config, key);
    if (token === null) return null;
    const id = lib.token_to_id(token);
    if (id === undefined)
      throw new Error(`tokenizer_config.json: ${key} ${JSON.stringify(token)} is not in tokenizer.json's vocabulary`);
    return id;
  };
  const genEos = generationIds(gen, 'eos_token_id', vocabSize);
  const eosId = idOf('eos_token') ?? genEos[0];
  if (eosId === undefined)
    throw new Error(
      'no end-of-sequence token: tokenizer_config.json has no eos_token and generation_config.json no eos_token_id',
    );
  const pad = idOf('pad_token') ?? generationIds(gen, 'pad_token_id', vocabSize)[0] ?? eosId;
  return { bosId: idOf('bos_token'), eosId, eosIds: [...new Set([eosId, ...genEos])], padId: pad };
}

// A synthetic byte-level BPE tokenizer of a real model's size, for random checkpoints of that shape
// (scripts/make_random_checkpoint.ts): tiny_tokenizer.ts's layout (Qwen's split, byte-level, the ChatML
// template) with GPT-2's 256 byte characters, then merges of byte pairs, then of those pairs with a byte,
// until the vocabulary has the size asked for, and the special tokens at the ids the model's config.json
// names. Its merges are not a real model's (text encodes into short pieces), but it loads and runs as one.
import type { TokenizerShape } from './known_configs';
import { tinyTokenizerFiles } from './tiny_tokenizer';

type Json = Record<string, unknown>;
const readJson = (bytes: Uint8Array): Json => JSON.parse(new TextDecoder().decode(bytes));
const json = (x: unknown) => new TextEncoder().encode(`${JSON.stringify(x, null, 2)}\n`);

/** `count` regular tokens: the 256 byte characters in vocabulary order, then merged pairs; with their merges. */
function regularTokens(byteChars: string[], count: number): { tokens: string[]; merges: [string, string][] } {
  const tokens = byteChars.slice(0, count);
  const merges: [string, string][] = [];
  // pairs of bytes, then (pair, byte): far more than any vocabulary needs
  const left = [...byteChars];
  for (let i = 0; tokens.length < count; i++) {
    const a = left[Math.floor(i / byteChars.length)],
      b = byteChars[i % byteChars.length];
    if (a === undefined) throw new Error(`syntheticTokenizer: cannot make ${count} tokens`);
    merges.push([a, b]);
    tokens.push(a + b);
    left.push(a + b);
  }
  return { tokens, merges };
}

/** tokenizer.json, tokenizer_config.json and generation_config.json with `shape.tokens` tokens. */
export function syntheticTokenizerFiles(shape: TokenizerShape): Record<string, Uint8Array> {
  const tiny = tinyTokenizerFiles();
  const tokenizer = readJson(tiny['tokenizer.json']) as Json & { model: Json; added_tokens: Json[] };
  const config = readJson(tiny['tokenizer_config.json']);
  const byteChars = Object.keys(tokenizer.model.vocab as Record<string, number>).slice(0, 256);
  const { tokens, merges } = regularTokens(byteChars, shape.tokens - shape.specials.length);
  const special = new Set(shape.specials.map((s) => s.id));
  const vocab: Record<string, number> = Object.create(null);
  let next = 0;
  for (const t of tokens) {
    while (special.has(next)) next++;
    vocab[t] = next++;
  }
  const template = tokenizer.added_tokens[0];
  const added = shape.specials.map(({ id, content }) => ({ ...template, id, content }));
  const byContent = (c: string) => shape.specials.find((s) => s.content === c)!.id;
  return {
    'tokenizer.json': json({ ...tokenizer, added_tokens: added, model: { ...tokenizer.model, vocab, merges } }),
    'tokenizer_config.json': json({
      ...config,
      added_tokens_decoder: Object.fromEntries(added.map(({ id, ...t }) => [String(id), t])),
    }),
    'generation_config.json': json({
      bos_token_id: byContent('<|endoftext|>'),
      eos_token_id: [byContent('<|im_end|>'), byContent('<|endoftext|>')],
      pad_token_id: byContent('<|endoftext|>'),
    }),
  };
}

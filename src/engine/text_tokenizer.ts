// The one tokenizer interface the engine, training and judging read: our own character and world tokenizers
// (tokenizer.ts) and Hugging Face tokenizers of real models (hf/tokenizer.ts) both implement it. It holds
// what generation and the judge need: ids in and out, the stop and pad ids, a readable piece per token for
// the token views, the tokens a model reads as its own control tokens, and the chat template when the model
// has one. Leaves out training tokenizers and saving them (our checkpoints write tokenizer.ts's JSON).

export interface EncodeOptions {
  /** Start a model input: our <bos>, or whatever an HF tokenizer's post-processor adds (Llama's <s>; Qwen:
   * nothing). Text rendered by a chat template already holds its own start tokens: leave this off. */
  bos?: boolean;
  /** Append the end-of-sequence token (a training target's end). */
  eos?: boolean;
}
export interface DecodeOptions {
  /** Drop control tokens: our <pad>, <bos>, <eos> (tags and <unk> are kept); an HF tokenizer's special tokens. */
  skipSpecial?: boolean;
}
/** `index` is the UTF-16 offset in the input, so `text.slice(index)` starts at the character. */
export interface UnknownChar {
  char: string;
  index: number;
}
export interface Encoding {
  ids: number[];
  /** Characters the vocabulary cannot represent (each became an unknown token). */
  unknown: UnknownChar[];
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}
export interface ChatTemplate {
  /** The conversation as the model reads it; with `addGenerationPrompt`, ending where the assistant's
   * answer starts. Throws naming the template's file when the template fails (e.g. raise_exception). */
  render(messages: ChatMessage[], opts: { addGenerationPrompt: boolean }): string;
}

export interface TextTokenizer {
  /** Ids run 0..vocabSize-1 (a model's embedding may have more rows). */
  readonly vocabSize: number;
  /** The start token, or null when the model has none (Qwen). */
  readonly bosId: number | null;
  /** The end-of-sequence token that training appends and a generation stops on. */
  readonly eosId: number;
  /** Every id that ends a generation (eosId first): Qwen stops on <|im_end|> and <|endoftext|>. */
  readonly eosIds: readonly number[];
  /** The padding id; the eos id when the model has no pad token. */
  readonly padId: number;
  /** Tokens matched inside any text and read by the model as its own control tokens (<eos>, <|im_end|>). */
  readonly specialTokens: readonly string[];
  /** The chat template, for real instruct models; null for ours (they read the compact prompt as is). */
  readonly chatTemplate: ChatTemplate | null;
  encode(text: string, opts?: EncodeOptions): Encoding;
  /** An HF tokenizer gives no text for an id past its vocabulary (a padded embedding row), as HF's decode does. */
  decode(ids: ArrayLike<number>, opts?: DecodeOptions): string;
  /** One token as readable text for the token views: byte-level bytes that are not whole UTF-8 characters
   * show as <0xHH>, never as a crash or a replacement character; a padded embedding row as <id N>. */
  piece(id: number): string;
  tokenToId(token: string): number | undefined;
  /** The token as the vocabulary spells it (byte-level: "Ġhello"). */
  idToToken(id: number): string | undefined;
}

// A small Qwen2.5-style tokenizer for tests and tiny checkpoints in Hugging Face layout: byte-level BPE
// (NFC, Qwen's split regex, then bytes as GPT-2's characters), merges learned here from a short English
// text, the ChatML special tokens and a simplified Qwen2.5-Instruct chat template. Ids: the 256 bytes
// (GPT-2's order), then one token per merge, then <|endoftext|>, <|im_start|>, <|im_end|>. Deterministic.
// Leaves out Qwen's tool and vision tokens.

/** Qwen's split after the contractions: letters (one non-letter may lead), single digits, punctuation runs,
 * newlines, spaces. */
const QWEN_REST = String.raw`[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
/** Qwen2's pre-tokenizer split, as tokenizer.json writes it (Oniguruma syntax). */
export const QWEN_SPLIT_REGEX = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|${QWEN_REST}`;
/** The same split in JavaScript (contractions in any case spelled out), for learning the merges. */
const SPLIT = new RegExp(`'[sStTmMdD]|'[rR][eE]|'[vV][eE]|'[lL][lL]|${QWEN_REST}`, 'gu');

export const TINY_SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;
export const TINY_MERGES = 300;
/** Chosen by hand and ranked first, so the split shows in the ids: Qwen splits digits one by one, reads the
 * 'S of "IT'Sa" as a contraction (any case), and keeps a "(" with the letters after it. */
const HAND_MERGES: [string, string][] = [
  ['1', '2'],
  ['S', 'a'],
  ['(', 'a'],
];

/** Qwen2.5-Instruct's template without tools: a default system message when none is given. */
export const CHATML_TEMPLATE =
  "{%- if messages[0]['role'] == 'system' %}" +
  "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}" +
  '{%- else %}' +
  "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}" +
  '{%- endif %}' +
  '{%- for message in messages %}' +
  "{%- if not (message['role'] == 'system' and loop.first) %}" +
  "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}" +
  '{%- endif %}' +
  '{%- endfor %}' +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

const CORPUS = `Please act as an impartial judge and evaluate the responses of two AI Chatbots to the Client's question.
First classify the task as Reasoning or Chat. If it is Reasoning, solve the problem yourself, then compare
each response with your solution. If it is Chat, write a rubric of weighted criteria, explain why these
criteria matter, and judge both responses by the rubric. Quote the responses or summarize them as evidence.
Do not let the order of the responses, their length or the names of the chatbots influence you.
Finish with your verdict: the better response is the one that answers the question correctly and helpfully.
[Client Question] What is the sum of 12 and 30? How many letters are in the word "banana"?
[The Start of Chatbot A's Response] The answer is 42. There are 6 letters. [The End of Chatbot A's Response]
[The Start of Chatbot B's Response] The answer is 43, I think. There are 5 letters. [The End of Chatbot B's Response]
We're sure they'll say it's fine; I'm not, and you've seen why. Write the list in lowercase, with commas.
The user asked for all caps, so the response should use capital letters and end with a period.
    def judge(a, b):\n        return a if a > b else b\n
<div class="answer"><p>Hello, world!</p></div> 2024-06-01 3.14159 100% #1 @user`;

/** GPT-2's bytes → characters, in its vocabulary order: printable bytes first, then the shifted rest. */
function byteChars(): { order: number[]; charOf: string[] } {
  const keep = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const order = [...Array.from({ length: 256 }, (_, b) => b).filter(keep)];
  const charOf: string[] = [];
  order.forEach((b) => (charOf[b] = String.fromCharCode(b)));
  let shifted = 0;
  for (let b = 0; b < 256; b++)
    if (!keep(b)) {
      order.push(b);
      charOf[b] = String.fromCharCode(256 + shifted++);
    }
  return { order, charOf };
}

/** BPE training after the hand-chosen merges: repeatedly merge the most frequent adjacent pair (ties: the first
 * in code-unit order). */
function learnMerges(corpus: string, charOf: string[], count: number): [string, string][] {
  const freq = new Map<string, number>();
  const bytes = new TextEncoder();
  for (const w of corpus.normalize('NFC').match(SPLIT) ?? []) {
    const key = Array.from(bytes.encode(w), (b) => charOf[b]).join('\u0000');
    freq.set(key, (freq.get(key) ?? 0) + 1);
  }
  const words = [...freq].map(([k, n]) => ({ symbols: k.split('\u0000'), n }));
  const merges: [string, string][] = [];
  while (merges.length < count) {
    const pairs = new Map<string, number>();
    for (const { symbols, n } of words)
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]}\u0000${symbols[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + n);
      }
    let best: string | null = HAND_MERGES[merges.length]?.join('\u0000') ?? null;
    if (best === null)
      for (const [key, n] of pairs)
        if (best === null || n > pairs.get(best)! || (n === pairs.get(best) && key < best)) best = key;
    if (best === null) break; // every word is one token already
    const [a, b] = best.split('\u0000');
    merges.push([a, b]);
    for (const w of words) {
      const next: string[] = [];
      for (let i = 0; i < w.symbols.length; i++) {
        const merge = w.symbols[i] === a && w.symbols[i + 1] === b;
        next.push(merge ? a + b : w.symbols[i]);
        if (merge) i++;
      }
      w.symbols = next;
    }
  }
  return merges;
}

const json = (x: unknown) => new TextEncoder().encode(`${JSON.stringify(x, null, 2)}\n`);

/** tokenizer.json, tokenizer_config.json and generation_config.json of the tiny tokenizer, as bytes. */
export function tinyTokenizerFiles(): Record<string, Uint8Array> {
  const { order, charOf } = byteChars();
  const merges = learnMerges(CORPUS, charOf, TINY_MERGES);
  const vocab: Record<string, number> = Object.create(null);
  for (const t of [...order.map((b) => charOf[b]), ...merges.map(([a, b]) => a + b)])
    vocab[t] ??= Object.keys(vocab).length;
  const first = Object.keys(vocab).length;
  const added = TINY_SPECIAL_TOKENS.map((content, k) => ({
    id: first + k,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: QWEN_SPLIT_REGEX }, behavior: 'Isolated', invert: false },
        byteLevel,
      ],
    },
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  const config = {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: Object.fromEntries(added.map(({ id, ...t }) => [String(id), t])),
    additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
    bos_token: null,
    chat_template: CHATML_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: '<|im_end|>',
    errors: 'replace',
    model_max_length: 32768,
    pad_token: '<|endoftext|>',
    split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer',
    unk_token: null,
  };
  const [endoftext, , imEnd] = added.map((a) => a.id);
  const generation = { bos_token_id: endoftext, eos_token_id: [imEnd, endoftext], pad_token_id: endoftext };
  return {
    'tokenizer.json': json(tokenizer),
    'tokenizer_config.json': json(config),
    'generation_config.json': json(generation),
  };
}

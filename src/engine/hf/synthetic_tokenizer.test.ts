// What must hold: the synthetic tokenizers of the random-checkpoint shapes have exactly the real vocabulary
// size, ChatML's special tokens at the ids the real config.json names (so its bos/eos/pad agree), load as a
// Hugging Face tokenizer with both stop ids, render the chat template into those ids, and round-trip text.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config';
import { RANDOM_SHAPES } from './known_configs';
import { syntheticTokenizerFiles } from './synthetic_tokenizer';
import { HFTokenizer, loadTokenizer } from './tokenizer';

describe.each(Object.entries(RANDOM_SHAPES))('synthetic tokenizer of %s', (_, shape) => {
  const tok = loadTokenizer(syntheticTokenizerFiles(shape.tokenizer));
  const cfg = validateConfig(shape.config);
  const id = (content: string) => shape.tokenizer.specials.find((s) => s.content === content)!.id;

  it('has the real size and the special tokens at the real ids', () => {
    expect(tok).toBeInstanceOf(HFTokenizer);
    expect(tok.vocabSize).toBe(shape.tokenizer.tokens);
    expect(tok.vocabSize).toBeLessThanOrEqual(cfg.vocab_size);
    expect(tok.eosId).toBe(cfg.eos_token_id);
    expect(tok.eosIds).toEqual([id('<|im_end|>'), id('<|endoftext|>')]);
    for (const s of shape.tokenizer.specials) expect(tok.tokenToId(s.content)).toBe(s.id);
  });

  it('renders ChatML into its special ids and round-trips text', () => {
    const text = tok.chatTemplate!.render([{ role: 'user', content: 'Is 12 + 30 = 42? Ünïcödé too.' }], {
      addGenerationPrompt: true,
    });
    const ids = tok.encode(text).ids;
    expect(ids.filter((i) => i === id('<|im_start|>'))).toHaveLength(3); // system, user, assistant
    expect(Math.max(...ids)).toBeLessThan(tok.vocabSize);
    expect(tok.decode(ids)).toBe(text);
  });
});

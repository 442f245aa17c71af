import { Tokenizer as HFLibTokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../engine/hf/tokenizer';
import { defaultTokenizer, Tokenizer } from '../engine/tokenizer';
import { judgePrompt } from './cor_prompt';
import { oracleTrace } from './oracle';
import { generatePairs } from './world';
import { namedTokenizer, worldTokenizer, worldWords } from './world_vocab';

const pairs = generatePairs({ seed: 7, n: 1200, digits: 1, maxConstraints: 3, maxWords: 4 });
const texts = pairs.flatMap((p) => [judgePrompt(p).text, oracleTrace(p), oracleTrace(p, { noRubric: true })]);
const tok = worldTokenizer();

describe('world tokenizer', () => {
  it("keeps the character tokenizer's ids, so control, tag and character ids mean the same", () => {
    const chars = defaultTokenizer();
    for (let id = 0; id < chars.vocabSize; id++) expect(tok.idToToken(id)).toBe(chars.idToToken(id));
    expect(tok.vocabSize).toBe(chars.vocabSize + 2 * worldWords().length);
    expect(namedTokenizer('char')).toBe(chars);
  });

  it('writes every word of the world and its traces as one token, bare or after a space', () => {
    const split: string[] = [];
    for (const t of texts) {
      for (const m of t.replace(/<\/?\w+>/g, '|').matchAll(/ ?[A-Za-z]{2,}/g)) {
        if (/^ ?[a-h]+$/i.test(m[0])) continue; // the reasoning alphabet stays letters
        if (tok.encode(m[0]).ids.length !== 1) split.push(m[0]);
      }
    }
    expect([...new Set(split)]).toEqual([]);
  });

  it('keeps the reasoning strings letter by letter', () => {
    const reasoning = pairs.filter((p) => p.category === 'reasoning' && /sort|reverse|count/.test(p.subset ?? ''));
    expect(reasoning.length).toBeGreaterThan(50);
    for (const p of reasoning) {
      const s = p.prompt.match(/\b[a-h]{3,}\b/)![0];
      const ids = tok.encode(p.prompt).ids.map((id) => tok.idToToken(id));
      expect(ids.join('|')).toContain([...s].join('|'));
    }
  });

  it('round-trips every text, and through tokenizer.json', () => {
    const again = Tokenizer.fromHFJson(JSON.parse(JSON.stringify(tok.toHFJson())));
    for (const t of texts) {
      const { ids, unknown } = tok.encode(t);
      expect(unknown).toEqual([]);
      expect(tok.decode(ids)).toBe(t);
      expect(again.encode(t).ids).toEqual(ids);
    }
  });

  it('HF tokenizers reads its tokenizer.json to the same ids; the loader gives it back as ours', () => {
    const json = tok.toHFJson();
    const hf = new HFLibTokenizer(json, {});
    for (const t of texts.slice(0, 60))
      expect(hf.encode(t, { add_special_tokens: false }).ids).toEqual(tok.encode(t).ids);
    const loaded = loadTokenizer({ 'tokenizer.json': new TextEncoder().encode(JSON.stringify(json)) });
    expect(loaded).toBeInstanceOf(Tokenizer);
    expect(loaded.encode(texts[0], { bos: true })).toEqual(tok.encode(texts[0], { bos: true }));
    expect(loaded.specialTokens).toEqual(tok.specialTokens); // world words are text, not special
  });

  it('roughly halves the tokens of a prompt and its trace (what makes it faster and easier to read)', () => {
    const n = (t: Tokenizer) => texts.reduce((s, x) => s + t.encode(x).ids.length, 0);
    expect(n(tok) / n(defaultTokenizer())).toBeLessThan(0.6);
  });
});

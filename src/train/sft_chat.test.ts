// Distillation on a real model (an HF tokenizer with a chat template): the example is RM-R1's system and user
// turns through the template with the generation prompt — the prompt the judge reads — then the trace and the
// template's end of turn, and the loss mask covers exactly trace + end of turn (TRL's completion-only loss).
// Checked against ChatML written out by hand, also for a base model whose eos is not the end of turn (its
// sampling must stop on <|im_end|> too). RM-R1's released SFT records distil as imported: the pair cut back
// out of their user message, rendered as the judge renders it, their trace the target. Then, on a tiny random
// Llama-architecture checkpoint with LoRA (r = 8, WASM): the SFT loss falls over a few steps on a fixed
// example, and only the adapters move.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelFromFiles } from '../engine/checkpoint';
import { tinyCheckpoint, TINY_VARIANTS } from '../engine/hf/tiny_checkpoint';
import { tinyTokenizerFiles } from '../engine/hf/tiny_tokenizer';
import { HFTokenizer } from '../engine/hf/tokenizer';
import { addLora, LORA_TARGETS, loraParams } from '../engine/lora';
import { switchTestBackend } from '../engine/test_backends';
import { COR_SYSTEM_PROMPT, endOfTurnId, judgeStopIds } from '../rm/cor_prompt';
import { importDataset } from '../rm/importers';
import { readFixture } from '../rm/importers/fixtures_node';
import { makeSplits } from '../rm/world';
import { tracedExamples, worldOptions } from './pipeline';
import { applyOverrides, RUN_DEFAULTS } from './run_config';
import { createSftRun, encodeExample, toBatch } from './sft';

const pair = { prompt: 'What is 2+2?', a: 'It is 4.', b: 'It is 5.' };
const trace = '<type>Reasoning</type>\n<solution>4</solution>\n<eval>A is right.</eval>\n<answer>[[A]]</answer>';
const chatml =
  `<|im_start|>system\n${COR_SYSTEM_PROMPT}<|im_end|>\n` +
  '<|im_start|>user\n[Client Question]\nWhat is 2+2?\n\n' +
  "[The Start of Chatbot A's Response]\nIt is 4.\n[The End of Chatbot A's Response]\n\n" +
  "[The Start of Chatbot B's Response]\nIt is 5.\n[The End of Chatbot B's Response]<|im_end|>\n" +
  '<|im_start|>assistant\n';

const json = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));
const parse = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));

/** The inputs the loss does not count and the targets it does, as text. */
function split(tok: HFTokenizer) {
  const ex = encodeExample(tok, { pair, trace }, 4096);
  const b = toBatch([ex], tok.padId, 16, 4096);
  const n = ex.ids.length - 1;
  const trained = b.targets[0].filter((_, t) => t < n && b.mask[0][t] === 1);
  return { ex, trained, b, n };
}

describe('a distillation example for a chat model', () => {
  it('is the judge prompt through the template, then the trace and <|im_end|>, the loss on the latter only', () => {
    const tok = HFTokenizer.fromFiles(tinyTokenizerFiles());
    const imEnd = tok.tokenToId('<|im_end|>')!;
    expect(endOfTurnId(tok)).toBe(imEnd);
    const { ex, trained, b, n } = split(tok);
    expect(tok.decode(ex.ids.slice(0, ex.traceStart))).toBe(chatml);
    expect(tok.decode(trained)).toBe(`${trace}<|im_end|>`);
    expect(trained.at(-1)).toBe(imEnd);
    // counted: the targets from the trace's first token on (predicted by the prompt's last) to <|im_end|>
    expect(b.mask[0].filter((m) => m === 1).length).toBe(n - ex.traceStart + 1);
    expect(b.mask[0][ex.traceStart - 2]).toBe(0);
    expect(b.mask[0][ex.traceStart - 1]).toBe(1); // the last prompt token predicts the trace's first
  });

  it('a base model (eos <|endoftext|>): the target still ends at <|im_end|> and sampling stops there', () => {
    const files = tinyTokenizerFiles();
    const config = { ...parse(files['tokenizer_config.json']), eos_token: '<|endoftext|>' };
    const gen = parse(files['generation_config.json']);
    const tok = HFTokenizer.fromFiles({
      ...files,
      'tokenizer_config.json': json(config),
      'generation_config.json': json({ ...gen, eos_token_id: gen.bos_token_id }),
    });
    const [endoftext, imEnd] = ['<|endoftext|>', '<|im_end|>'].map((t) => tok.tokenToId(t)!);
    expect(tok.eosIds).toEqual([endoftext]);
    expect(endOfTurnId(tok)).toBe(imEnd);
    expect(judgeStopIds(tok)).toEqual([endoftext, imEnd]);
    expect(tok.decode(split(tok).trained)).toBe(`${trace}<|im_end|>`);
  });
});

describe("RM-R1's distillation records", () => {
  it('give one example per traced record: its pair through the template, its trace the target', () => {
    const { pairs } = importDataset(readFixture('rm_r1.jsonl'), 'rm_r1.jsonl', { onError: 'skip' });
    const examples = tracedExamples(pairs);
    expect(pairs.length).toBeGreaterThan(examples.length); // label-only records are GRPO's, not distillation's
    expect(examples).toHaveLength(1);
    const tok = HFTokenizer.fromFiles(tinyTokenizerFiles());
    const ex = encodeExample(tok, examples[0], 4096);
    const b = toBatch([ex], tok.padId, 1, 4096);
    const trained = b.targets[0].filter((_, t) => b.mask[0][t] === 1);
    expect(tok.decode(trained)).toBe(`${examples[0].trace}<|im_end|>`);
    expect(examples[0].trace).toMatch(/^<type>Reasoning<\/type>[\s\S]*<answer>\[\[B\]\]<\/answer>$/);
    const prompt = tok.decode(ex.ids.slice(0, ex.traceStart));
    expect(prompt).toContain(`<|im_start|>user\n[Client Question]\n${examples[0].pair.prompt}\n\n`);
    expect(prompt.endsWith('<|im_start|>assistant\n')).toBe(true);
  });
});

describe('LoRA distillation on a tiny real model (WASM)', () => {
  beforeAll(() => switchTestBackend('wasm'));

  it('the loss falls over four steps on a fixed example; only the adapters move', async () => {
    const variant = TINY_VARIANTS.find((v) => v.name === 'llama-tied-bf16')!;
    const m = modelFromFiles(tinyCheckpoint(variant).files);
    const base = Object.entries(m.params).map(([n, v]) => [n, v.dataSync().slice()] as const);
    addLora(m.params, m.cfg, { rank: 8, alpha: 16, dropout: 0, targets: LORA_TARGETS, rslora: false }, { seed: 1 });
    const run = applyOverrides(RUN_DEFAULTS, { 'world.nDistill': '1', 'world.nGrpo': '1', 'world.nEval': '1' });
    const examples = makeSplits(worldOptions(run)).distill.map((d) => ({ pair: d.pair, trace: d.trace }));
    const sft = createSftRun(
      m.params,
      m.cfg,
      m.tok,
      { ...run.sft, lr: 1e-2, warmupSteps: 0, schedule: 'constant', epochs: 4, batchSize: 1, evalEvery: 0 },
      examples,
      [],
    );
    const losses: number[] = [];
    const ms: number[] = [];
    while (!sft.done()) {
      const r = await sft.step();
      losses.push(r.loss);
      ms.push(r.seconds * 1000);
    }
    sft.dispose();
    console.log(
      `tiny Llama (LoRA r=8) SFT on ${examples.length} example(s) of ` +
        `${examples.map((e) => encodeExample(m.tok, e, 4096).ids.length).join(' and ')} tokens: loss ` +
        `${losses.map((l) => l.toFixed(3)).join(', ')}; ms per step ${ms.map((x) => x.toFixed(0)).join(', ')}`,
    );
    expect(losses.at(-1)!).toBeLessThan(losses[0] - 1);
    for (const [n, before] of base) expect(m.params[n].dataSync(), n).toEqual(before); // the base is frozen
    expect(Object.keys(loraParams(m.params)).length).toBe(2 * 7 * 2);
    tf.dispose(Object.values(m.params));
  }, 120_000);
});

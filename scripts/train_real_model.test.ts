// `npm run train -- --model DIR --lora.rank 8` on a tiny random Llama-architecture checkpoint in Hugging Face
// layout (a chat template, byte-level BPE, BF16 weights): both stages run to done on WASM, every checkpoint is
// a Hugging Face folder — config.json, model.safetensors and the base's tokenizer files byte for byte — that
// loads back with the base's tokenizer and judges a pair, the run's resume snapshots hold the adapters on the
// start weights, and the held-out evaluation reads the chat-rendered prompt. Prints ms per SFT and GRPO step.
// A LoRA run of it killed mid-distillation goes on with `--resume`: the adapters from its snapshot on the weights
// read again from the folder it started from.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFromFiles } from '../src/engine/checkpoint';
import { loadCheckpointDir, saveCheckpointDir } from '../src/engine/checkpoint_node';
import { parseAdapterConfig } from '../src/engine/hf/peft';
import { tinyCheckpoint, TINY_VARIANTS } from '../src/engine/hf/tiny_checkpoint';
import { HFTokenizer } from '../src/engine/hf/tokenizer';
import { switchTestBackend } from '../src/engine/test_backends';
import { judgePair } from '../src/train/judge';
import { createFileStore } from '../src/train/lab_store_node';
import { createPipeline, worldData } from '../src/train/pipeline';
import { applyOverrides, RUN_DEFAULTS } from '../src/train/run_config';
import { createRunRecorder, newRunRecord } from '../src/train/run_recorder';

const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const train = (args: string[]) =>
  spawnSync(tsx, [join('scripts', 'train.ts'), ...args], { encoding: 'utf8', timeout: 540_000 });
const base = tinyCheckpoint(TINY_VARIANTS.find((v) => v.name === 'llama-tied-bf16')!).files;
const tmp = mkdtempSync(join(tmpdir(), 'rl-train-real-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('train --model (a real model, LoRA)', () => {
  beforeAll(() => switchTestBackend('wasm'));

  it('runs both stages; checkpoints are HF folders with the base tokenizer that the judge loads', async () => {
    const modelDir = join(tmp, 'tiny-llama');
    await saveCheckpointDir(modelDir, base);
    const out = join(tmp, 'runs', 'real');
    const settings = {
      'lora.rank': '8',
      'lora.alpha': '16',
      checkpointEvery: '1',
      'world.nDistill': '9', // 1 to train on, 8 held out
      'world.nGrpo': '2',
      'world.nEval': '1',
      'sft.epochs': '2',
      'sft.batchSize': '1',
      'grpo.steps': '1',
      'grpo.promptsPerStep': '2',
      'grpo.numGenerations': '2',
      'grpo.bothOrders': 'false',
      'grpo.maxCompletionLength': '8',
      'eval.maxCompletionLength': '4',
    };
    const args = ['--model', modelDir, '--out', out, '--backend', 'wasm', '--kernels', 'stock'];
    for (const [k, v] of Object.entries(settings)) args.push(`--${k}`, v);
    const r = train(args);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`model: ${modelDir.replace(/[/\\]/g, '.')}, \\d+ parameters \\(\\d+ trained\\)`),
    );
    // the training memory plan, checked before the weights were read, fits: printed, and the run went on
    expect(r.stdout).toMatch(
      /training memory plan on wasm:\n {2}distillation \(LoRA r = 8, .* step peak .* of budget 4\.00 GiB/,
    );

    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const sft = rows.filter((x) => x.stage === 'sft'),
      grpo = rows.filter((x) => x.stage === 'grpo');
    expect([sft.length, grpo.length]).toEqual([2, 1]);
    const ms = (xs: { elapsed: number }[], from: number) =>
      xs.map((x, i) => ((x.elapsed - (i ? xs[i - 1].elapsed : from)) * 1000).toFixed(0));
    console.log(
      `tiny Llama, LoRA r=8, WASM: ms per SFT step ${ms(sft, 0)} (the first from the run's start); ` +
        `GRPO step (with the evaluation before it) ${ms(grpo, sft[1].elapsed)}`,
    );

    const ckpts = readdirSync(join(out, 'checkpoints'));
    expect(ckpts).toEqual(expect.arrayContaining(['sft', 'grpo']));
    const files = await loadCheckpointDir(join(out, 'checkpoints', 'grpo'));
    for (const name of ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json'])
      expect(files[name], name).toEqual(base[name]);
    const m = modelFromFiles(files);
    expect(m.tok).toBeInstanceOf(HFTokenizer);
    expect(Object.keys(m.params).some((n) => n.includes('lora'))).toBe(false); // merged: W + s·B·A
    const j = await judgePair(m, { prompt: 'What is 2+2?', a: '4', b: '5' }, { maxNewTokens: 4 });
    expect(j.shown[0].promptText).toMatch(/^<\|im_start\|>system\n/);
    tf.dispose(Object.values(m.params));
    // its PEFT adapter, on the folder the run started from: the distilled adapters and GRPO's stacked (r 8 + 8)
    const adapter = { 'adapter_config.json': files['adapter/adapter_config.json'] };
    expect(parseAdapterConfig(adapter['adapter_config.json'])).toMatchObject({
      baseModel: modelDir,
      settings: { rank: 16, alpha: 32 },
    });
    expect(files['adapter/adapter_model.safetensors']).toBeInstanceOf(Uint8Array);

    const resume = JSON.parse(readFileSync(join(out, 'resume', 'resume.json'), 'utf8'));
    expect(resume).toMatchObject({ phase: 'eval-grpo', base: 'sft' });
    expect(existsSync(join(out, 'resume', 'adapters.safetensors'))).toBe(true);
    expect(existsSync(join(out, 'resume', 'folded_adapters.safetensors'))).toBe(true);
  }, 600_000);

  it('a LoRA run killed mid-distillation goes on with --resume from the folder it started from', async () => {
    const modelDir = join(tmp, 'tiny-llama-2');
    await saveCheckpointDir(modelDir, base);
    const run = applyOverrides(RUN_DEFAULTS, {
      stage: 'sft',
      'lora.rank': '4',
      checkpointEvery: '1',
      'world.nDistill': '10', // 2 to train on, 8 held out
      'world.nEval': '1',
      'sft.epochs': '1',
      'sft.batchSize': '1',
      'eval.maxCompletionLength': '2',
    });
    const root = join(tmp, 'runs2');
    const rec = createRunRecorder(createFileStore(root), newRunRecord('r', run, { init: modelDir, backend: 'wasm' }));
    await rec.setStatus('running');
    const model = modelFromFiles(await loadCheckpointDir(modelDir));
    const p = createPipeline(run, model, worldData(run));
    await rec.record(await p.step(), p.progress()); // SFT step 1 and its 'latest'; then the process dies
    p.dispose();
    tf.dispose(Object.values(model.params));

    const r = train(['--resume', join(root, 'r'), '--backend', 'wasm', '--kernels', 'stock']);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/resuming in sft after 1 SFT and 0 GRPO steps, from checkpoint 'latest'/);
    const steps = readFileSync(join(root, 'r', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((x) => x.stage === 'sft')
      .map((x) => x.step);
    expect(steps).toEqual([1, 2]);
    const done = modelFromFiles(await loadCheckpointDir(join(root, 'r', 'checkpoints', 'sft')));
    expect(done.tok).toBeInstanceOf(HFTokenizer);
    tf.dispose(Object.values(done.params));
  }, 600_000);
});

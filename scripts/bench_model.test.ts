// `npm run bench -- --model DIR` on a tiny Hugging Face checkpoint: one row per backend with the model's own
// figures — parameters from its config, stored bytes from its safetensors files, f32 bytes 4 per parameter — and
// per-token counts that are whole numbers (every decode step runs the same kernels: a count that is not whole
// means the prefill was not taken out of the decode). No timings are asserted.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../src/engine/config';
import { TINY_VARIANTS, tinyCheckpoint } from '../src/engine/hf/tiny_checkpoint';
import { countParams } from '../src/engine/param_names';

const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');

describe('npm run bench -- --model', () => {
  it('measures a Hugging Face folder on WASM: sizes from its files, whole kernels per decoded token', () => {
    const variant = TINY_VARIANTS.find((v) => v.name === 'qwen2-sharded-bf16')!;
    const { files } = tinyCheckpoint(variant);
    const dir = mkdtempSync(join(tmpdir(), 'rl-bench-model-'));
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
    const out = join(dir, 'bench.json');
    const args = ['--model', dir, '--backends', 'wasm', '--prompt-tokens', '8', '--new-tokens', '3', '--out', out];
    const r = spawnSync(tsx, [join('scripts', 'bench.ts'), ...args], { encoding: 'utf8', timeout: 100_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\| wasm \| stock \| /m);
    const { rows } = JSON.parse(readFileSync(out, 'utf8'));
    expect(rows).toHaveLength(1);
    const row = rows[0];
    const params = countParams(validateConfig(variant.config));
    const stored = Object.entries(files)
      .filter(([name]) => name.endsWith('.safetensors'))
      .reduce((n, [, bytes]) => n + bytes.length, 0);
    expect(row).toMatchObject({
      architecture: 'Qwen2ForCausalLM',
      backend: 'wasm',
      params,
      weightBytesF32: 4 * params,
      weightBytesStored: stored,
      promptTokens: 8,
      newTokens: 3,
      dispatchesPerToken: 0,
    });
    expect(Number.isInteger(row.kernelsPerToken)).toBe(true);
    expect(row.kernelsPerToken).toBeGreaterThan(0);
    expect(row.peakTensorBytes).toBeGreaterThanOrEqual(row.weightBytesF32);
    expect(row.peakRss).toBeGreaterThan(row.rssBeforeLoad);
  });

  it('--train measures full fine-tuning and LoRA steps: adapters alone train, the plan beside the peak', () => {
    const variant = TINY_VARIANTS.find((v) => v.name === 'qwen2-sharded-bf16')!;
    const { files } = tinyCheckpoint(variant);
    const dir = mkdtempSync(join(tmpdir(), 'rl-bench-train-'));
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
    const out = join(dir, 'bench.json');
    const args = ['--model', dir, '--backends', 'wasm', '--train', 'full,lora4', '--batch', '2', '--seq-len', '8'];
    const r = spawnSync(tsx, [join('scripts', 'bench.ts'), ...args, '--out', out], {
      encoding: 'utf8',
      timeout: 100_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\| wasm \| stock \| lora4 \| /m);
    const { trainRows } = JSON.parse(readFileSync(out, 'utf8'));
    const params = countParams(validateConfig(variant.config));
    expect(trainRows.map((t: { mode: string }) => t.mode)).toEqual(['full', 'lora4']);
    const [full, lora] = trainRows;
    expect(full).toMatchObject({ params, trained: params, batch: 2, seqLen: 8, dispatchesPerLayer: 0 });
    expect(lora.trained).toBeLessThan(params / 2);
    expect(lora.trained).toBeGreaterThan(0);
    for (const t of trainRows) {
      expect(t.peakTensorBytes).toBeGreaterThanOrEqual(4 * params);
      expect(t.plannedBytes).toBeGreaterThan(4 * params);
      expect(t.kernelsPerLayer).toBeGreaterThan(0);
    }
  });
});

// `npm run train` plans the run's training memory (train/run_memory.ts, as the Train page does) before any
// weight is read and refuses a run that cannot fit, printing the plan's numbers and run settings that would fit;
// nothing of the run is written. Refused: the default recipe's GRPO step on WASM within --device-memory 0.5
// (its 2.6 GiB peak; micro-batches with recomputation fit), and a LoRA run of a Hugging Face folder whose
// model.safetensors is not even valid (a read would fail with another message). The passing case (the plan
// printed, then the run trains) is train_real_model.test.ts's.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { saveCheckpointDir } from '../src/engine/checkpoint_node';
import { TINY_VARIANTS, tinyCheckpoint } from '../src/engine/hf/tiny_checkpoint';
import { runScript } from './run_script';

const tmp = mkdtempSync(join(tmpdir(), 'rl-train-memory-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('train refuses a run its training memory plan cannot fit', () => {
  it("the default recipe's GRPO past --device-memory 0.5: the plan's numbers, what fits; no run folder", async () => {
    const out = join(tmp, 'runs', 'default');
    const r = await runScript('train.ts', ['--out', out, '--backend', 'wasm', '--device-memory', '0.5']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/the run does not fit in memory on wasm \(no weight was read\)/);
    // each stage's plan: the part that fits and the part that does not, with the budget
    const rows = /\(full fine-tuning, (\d+) of (\d+) rows × \d+ tokens a pass\): step peak ([\d.]+ [MG]iB)/;
    const [sft, grpo] = r.stderr.split('\n').filter((l) => rows.test(l));
    expect(sft).toMatch(/^ {2}distillation .* of budget 512\.0 MiB = weights .* activations/);
    expect(sft.match(rows)?.slice(1, 3)).toEqual(['16', '16']);
    expect(grpo).toMatch(/^ {2}GRPO .* GiB of budget 512\.0 MiB .* does not fit: past the budget$/);
    expect(grpo.match(rows)?.slice(1, 3)).toEqual(['48', '192']);
    // what to change, as flags the CLI takes; distillation fits, so it is not named there
    expect(r.stderr).toMatch(/what to change:\n {2}GRPO: fits with --grpo\.microBatch \d+/);
    expect(r.stderr).toMatch(/--lora\.rank 8 --lora\.alpha 16/);
    expect(r.stderr).not.toMatch(/distillation: fits with/);
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it('a LoRA run of a real model folder is refused before its weights are read', async () => {
    const dir = join(tmp, 'tiny-llama');
    await saveCheckpointDir(dir, tinyCheckpoint(TINY_VARIANTS.find((v) => v.name === 'llama-tied-bf16')!).files);
    writeFileSync(join(dir, 'model.safetensors'), 'not safetensors'); // reading it would fail otherwise
    const out = join(tmp, 'runs', 'real');
    const args = ['--model', dir, '--out', out, '--backend', 'wasm', '--device-memory', '0.001', '--lora.rank', '8'];
    const r = await runScript('train.ts', args);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/the run does not fit in memory on wasm \(no weight was read\)/);
    expect(r.stderr).toMatch(/distillation \(LoRA r = 8, /);
    expect(r.stderr).toMatch(/of budget 1\.0 MiB/);
    expect(r.stderr).not.toMatch(/safetensors/);
    expect(existsSync(out)).toBe(false);
  }, 120_000);
});

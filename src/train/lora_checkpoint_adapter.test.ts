// A LoRA run's checkpoints carry its adapter as PEFT writes it (adapter/adapter_config.json and
// adapter_model.safetensors) beside the merged weights, on the model the run started from. After distillation the
// adapters are folded into the base and GRPO trains new ones, so the GRPO checkpoint's adapter stacks both (rank
// 2r, α doubled: s·B₁A₁ + s·B₂A₂ = s·[B₁ B₂]·[A₁; A₂]). Would catch an adapter holding GRPO's alone (the
// distilled part lost: its logits are not the merged model's) or a wrong α. Checked on nano with WASM: our PEFT
// reader loads each onto the original base and its logits equal the merged checkpoint's (1e-5); python3 with
// numpy (no torch, no safetensors) parses the files by hand and finds every merged projection = W + (α/r)·B·A.
// Also: the Node store writes the adapter into a subfolder and reads it back; a full fine-tuning run has none.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CheckpointFiles, modelFromFiles } from '../engine/checkpoint';
import { loadCheckpointDir, saveCheckpointDir } from '../engine/checkpoint_node';
import { CHECKPOINT_ADAPTER_FILES, importPeftAdapter, parseAdapterConfig } from '../engine/hf/peft';
import { forward, type ModelParams } from '../engine/model';
import { switchTestBackend } from '../engine/test_backends';
import { createPipeline, type CheckpointEvent, worldData } from './pipeline';
import { applyOverrides, RUN_DEFAULTS } from './run_config';
import { checkpointMeta } from './run_recorder';
import { freeModel } from './test_weights';

const fixture = await loadCheckpointDir('e2e/fixtures/nano-judge');
const [CONFIG, WEIGHTS] = CHECKPOINT_ADAPTER_FILES;

const run = applyOverrides(RUN_DEFAULTS, {
  preset: 'nano',
  'lora.rank': '4',
  'lora.alpha': '8',
  'world.nDistill': '12', // 4 to train on: one batch of 4
  'world.nGrpo': '2',
  'world.nEval': '1',
  'sft.epochs': '2',
  'sft.batchSize': '4',
  'sft.lr': '1e-2',
  'grpo.steps': '1',
  'grpo.lr': '5e-2',
  'grpo.promptsPerStep': '2',
  'grpo.numGenerations': '4',
  'grpo.maxCompletionLength': '144', // the fixture judge finishes its judgements: rewards vary, GRPO moves B
  'eval.maxCompletionLength': '4',
  'eval.batchSize': '8',
});

async function logitsOf(params: ModelParams, cfg: ReturnType<typeof modelFromFiles>['cfg']): Promise<Float32Array> {
  const ids = tf.tensor2d([[1, 5, 9, 4, 7, 3, 30, 12]], undefined, 'int32');
  const y = forward(params, cfg, ids);
  const out = (await y.data()) as Float32Array;
  tf.dispose([y, ids]);
  return out;
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

/** The original base with the checkpoint's adapter (our PEFT reader) against the checkpoint's merged weights. */
async function adapterGap(files: CheckpointFiles): Promise<number> {
  const base = modelFromFiles(fixture);
  importPeftAdapter(base.params, base.cfg, {
    'adapter_config.json': files[CONFIG],
    'adapter_model.safetensors': files[WEIGHTS],
  });
  const merged = modelFromFiles(files);
  const gap = maxAbsDiff(await logitsOf(base.params, base.cfg), await logitsOf(merged.params, merged.cfg));
  freeModel(base);
  freeModel(merged);
  return gap;
}

/** numpy, parsing safetensors by hand: every merged projection = base + (α/r)·B·A; prints the largest gap. */
const PYTHON = `
import json, sys, numpy as np
def read(path):
    b = open(path, 'rb').read()
    n = int.from_bytes(b[:8], 'little')
    head = json.loads(b[8:8 + n]); head.pop('__metadata__', None)
    out = {}
    for name, t in head.items():
        assert t['dtype'] == 'F32', (name, t['dtype'])
        s, e = t['data_offsets']
        out[name] = np.frombuffer(b[8 + n + s:8 + n + e], dtype='<f4').reshape(t['shape']).astype(np.float64)
    return out
d = sys.argv[1]
cfg = json.load(open(d + '/adapter/adapter_config.json'))
assert cfg['peft_type'] == 'LORA' and cfg['task_type'] == 'CAUSAL_LM' and cfg['bias'] == 'none', cfg
ad = read(d + '/adapter/adapter_model.safetensors')
base, merged = read(d + '/base.safetensors'), read(d + '/model.safetensors')
r, scale, worst, n = cfg['r'], cfg['lora_alpha'] / cfg['r'], 0.0, 0
for name, A in ad.items():
    if not name.endswith('.lora_A.weight'): continue
    module = name[len('base_model.model.'):-len('.lora_A.weight')]
    B = ad[name.replace('lora_A', 'lora_B')]
    assert A.shape[0] == r and B.shape[1] == r, (name, A.shape, B.shape)
    want = base[module + '.weight'] + scale * B @ A
    worst = max(worst, float(np.abs(merged[module + '.weight'] - want).max())); n += 1
print(json.dumps({'modules': n, 'worst': worst, 'r': r}))
`;

describe("a LoRA run's checkpoints carry its PEFT adapter (nano, WASM)", () => {
  beforeAll(() => switchTestBackend('wasm'));

  it('after SFT (rank r) and after GRPO (stacked, rank 2r): base + adapter = the merged checkpoint', async () => {
    const before = tf.memory().numTensors;
    const model = { ...modelFromFiles(fixture), name: 'HuggingFaceTB/nano-judge' };
    const p = createPipeline(run, model, worldData(run));
    const saved: Record<string, CheckpointEvent> = {};
    while (!p.done()) for (const e of await p.step()) if (e.kind === 'checkpoint') saved[e.name] = e;
    p.dispose();
    freeModel(model);
    expect(Object.keys(saved).sort()).toEqual(['grpo', 'sft']);

    const sft = parseAdapterConfig(saved.sft.files[CONFIG]);
    const grpo = parseAdapterConfig(saved.grpo.files[CONFIG]);
    expect(sft).toMatchObject({ baseModel: 'HuggingFaceTB/nano-judge', settings: { rank: 4, alpha: 8 } });
    expect(grpo).toMatchObject({ baseModel: 'HuggingFaceTB/nano-judge', settings: { rank: 8, alpha: 16 } });
    const gaps = { sft: await adapterGap(saved.sft.files), grpo: await adapterGap(saved.grpo.files) };
    // GRPO moved its own adapters (B's second half), so an adapter without them would not pass
    const merged = modelFromFiles(saved.grpo.files);
    const sftMerged = modelFromFiles(saved.sft.files);
    const moved = maxAbsDiff(
      await logitsOf(merged.params, merged.cfg),
      await logitsOf(sftMerged.params, sftMerged.cfg),
    );
    freeModel(merged);
    freeModel(sftMerged);
    console.log(
      `adapter vs merged logits: after SFT ${gaps.sft.toExponential(2)}, after GRPO ` +
        `${gaps.grpo.toExponential(2)}; GRPO moved the logits by ${moved.toExponential(2)}`,
    );
    expect(moved).toBeGreaterThan(1e-3);
    expect(gaps.sft).toBeLessThanOrEqual(1e-5);
    expect(gaps.grpo).toBeLessThanOrEqual(1e-5);
    expect(tf.memory().numTensors).toBe(before);

    // the Node store's folder: the adapter in adapter/, read back whole; the meta says it is there
    const dir = mkdtempSync(join(tmpdir(), 'lora-ckpt-'));
    try {
      await saveCheckpointDir(dir, saved.grpo.files);
      const back = await loadCheckpointDir(dir);
      for (const f of CHECKPOINT_ADAPTER_FILES) expect(back[f]).toEqual(saved.grpo.files[f]);
      const meta = checkpointMeta(back, {
        id: 'g',
        name: 'grpo',
        runId: 'r',
        source: 'run',
        createdAt: 0,
        step: 1,
        phase: 'grpo',
      });
      expect(meta.adapter).toBe(true);
      writeFileSync(join(dir, 'base.safetensors'), fixture['model.safetensors']);
      const py = JSON.parse(execFileSync('python3', ['-c', PYTHON, dir], { encoding: 'utf8' }));
      console.log(`python3 (numpy): ${py.modules} projections of rank ${py.r}, max |merged − (W + s·B·A)| ${py.worst}`);
      expect(py).toMatchObject({ modules: 14, r: 8 });
      expect(py.worst).toBeLessThanOrEqual(1e-5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('a full fine-tuning run: no adapter', async () => {
    const full = applyOverrides(run, { stage: 'sft', 'lora.rank': '0', 'sft.epochs': '1' });
    const model = modelFromFiles(fixture);
    const p = createPipeline(full, model, worldData(full));
    const e = await p.checkpoint('stopped');
    p.dispose();
    freeModel(model);
    for (const f of CHECKPOINT_ADAPTER_FILES) expect(e.files[f]).toBeUndefined();
    expect(
      checkpointMeta(e.files, {
        id: 's',
        name: 'stopped',
        runId: 'r',
        source: 'run',
        createdAt: 0,
        step: 0,
        phase: 'sft',
      }).adapter,
    ).toBe(false);
  });
});

// The training bench's GRPO step (train_step.ts) on the nano fixture judge, CPU: each setting runs whole GRPO
// steps (G judgements sampled, scored, the loss and the update) and reports them as GRPO rows with the prompt's
// and the judgement's tokens, the parameters trained (the adapters alone with LoRA), the peak beside the plan's;
// and the model is left as it was (adapters removed, no tensor leaked). At nano size the activations dwarf the
// weights, so π_ref's copy for full fine-tuning shows in the real-shape rows (docs/experiments.md), not here.
// On WebGPU (fused) the row also has the buffers in use at their peak, above the model, below tfjs's count
// (which counts views again) and below the plan, and the buffers held, the pool's included, at least those in use.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelFromFiles, type RunnableModel } from '../engine/checkpoint';
import { loadCheckpointDir } from '../engine/checkpoint_node';
import { switchFusedKernels } from '../engine/kernels/fused';
import { switchTestBackend, testBackends } from '../engine/test_backends';
import { benchTrainSteps } from './train_step';

const hasWebGPU = (await testBackends()).includes('webgpu');

describe('benchTrainSteps --grpo', () => {
  let m: RunnableModel;
  beforeAll(async () => {
    await switchTestBackend('cpu');
    m = modelFromFiles(await loadCheckpointDir('e2e/fixtures/nano-judge'));
  });

  it('reports GRPO steps of G judgements, full and LoRA, and leaves the model as it was', async () => {
    const before = tf.memory().numTensors;
    const options = { batch: 3, seqLen: 0, steps: 1, microBatch: 0, recompute: false, kernels: 'stock' as const };
    const rows = await benchTrainSteps('nano', m, { ...options, modes: ['full', 'lora4'], grpo: { newTokens: 6 } });
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(m.params).some((k) => k.includes('lora'))).toBe(false);
    const [full, lora] = rows;
    expect(rows.map((r) => [r.stage, r.mode, r.batch])).toEqual([
      ['grpo', 'full', 3],
      ['grpo', 'lora4', 3],
    ]);
    expect(full.seqLen).toBeGreaterThan(6); // the prompt's tokens and the judgement's
    expect(full.trained).toBe(full.params);
    expect(lora.trained).toBeLessThan(full.params / 2);
    for (const r of rows) {
      expect(r.peakTensorBytes).toBeGreaterThan(0);
      expect(r.plannedBytes).toBeGreaterThan(0);
      expect(r.kernelsPerLayer).toBeGreaterThan(0);
      expect([r.peakDeviceBytes, r.heldDeviceBytes]).toEqual([null, null]);
    }
  });

  it.skipIf(!hasWebGPU)('on WebGPU: the buffers in use and held', async () => {
    await switchTestBackend('webgpu');
    switchFusedKernels(true);
    try {
      const options = { batch: 3, seqLen: 0, steps: 1, microBatch: 0, recompute: false, kernels: 'fused' as const };
      const [r] = await benchTrainSteps('nano', m, { ...options, modes: ['lora4'], grpo: { newTokens: 6 } });
      const modelBytes = 4 * r.params;
      expect(r.peakDeviceBytes).toBeGreaterThan(modelBytes);
      expect(r.peakDeviceBytes).toBeLessThan(r.peakTensorBytes);
      // the plan (its rows padded to the length bucket, as grpo_batch.ts pads them) bounds the buffers in use
      expect(r.plannedBytes).toBeGreaterThanOrEqual(r.peakDeviceBytes!);
      expect(r.heldDeviceBytes).toBeGreaterThanOrEqual(r.peakDeviceBytes!);
      expect(r.dispatchesPerLayer).toBeGreaterThan(0);
    } finally {
      switchFusedKernels(false);
      await switchTestBackend('cpu');
    }
  });
});

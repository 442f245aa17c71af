// Training really trains: nano overfits the smoke text on WASM with no tensor growth, WebGPU follows
// the WASM curve step for step (this caught WebGPU's AddN binding limit once), and so does WebGPU with
// the fused kernels on (every fused program in the loop: RMSNorm, attention, SwiGLU, log-probs, AdamW).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { switchFusedKernels } from '../engine/kernels/fused';
import { testBackends, switchTestBackend } from '../engine/test_backends';
import { createSmokeRun } from './smoke';

const backends = await testBackends();

describe.runIf(backends.includes('webgpu'))('training on WebGPU', () => {
  it(
    'follows the WASM training curve step for step, with stock ops and with fused kernels (|Δloss| < 2e-3 over 10 ' +
      'nano steps)',
    async () => {
      const curve = async (b: 'wasm' | 'webgpu', fused = false) => {
        await switchTestBackend(b);
        switchFusedKernels(fused);
        const run = createSmokeRun({ preset: 'nano', steps: 10, batchSize: 4, seqLen: 24, lr: 1e-2, seed: 2 });
        const losses: number[] = [];
        while (!run.done()) losses.push((await run.step()).loss);
        run.dispose();
        switchFusedKernels(false);
        return losses;
      };
      const wasm = await curve('wasm');
      const gpu = await curve('webgpu');
      const fused = await curve('webgpu', true);
      expect(wasm[9]).toBeLessThan(wasm[0] - 0.5); // it trains at all
      for (let i = 0; i < 10; i++)
        expect(Math.abs(gpu[i] - wasm[i]), `step ${i + 1}: webgpu ${gpu[i]}, wasm ${wasm[i]}`).toBeLessThan(2e-3);
      for (let i = 0; i < 10; i++)
        expect(Math.abs(fused[i] - gpu[i]), `step ${i + 1}: fused ${fused[i]}, stock ${gpu[i]}`).toBeLessThan(2e-3);
    },
  );
});

describe('training trains (WASM)', () => {
  beforeAll(() => switchTestBackend('wasm'));

  it(
    'nano overfits the smoke text: loss from ~ln(120) to below ' +
      '1.0 within 40 steps; tensors flat after 1 and 5 steps',
    async () => {
      const run = createSmokeRun({ preset: 'nano', steps: 40, batchSize: 8, seqLen: 32, lr: 1e-2, seed: 1 });
      const first = await run.step();
      const afterOne = tf.memory().numTensors;
      for (let i = 0; i < 4; i++) await run.step();
      expect(tf.memory().numTensors).toBe(afterOne);
      let last = first;
      while (!run.done()) last = await run.step();
      expect(first.loss).toBeGreaterThan(4); // ln(120) ≈ 4.79 at init
      expect(last.loss).toBeLessThan(1.0);
      expect(Number.isFinite(last.gradNorm)).toBe(true);
      run.dispose();
    },
  );
});

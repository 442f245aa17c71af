// Training really trains: nano overfits the smoke text on WASM with no tensor growth, and WebGPU
// follows the WASM curve step for step (this caught WebGPU's AddN binding limit once).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { testBackends, useBackend } from '../engine/test_backends';
import { createSmokeRun } from './smoke';

const backends = await testBackends();

describe.runIf(backends.includes('webgpu'))('training on WebGPU', () => {
  it('follows the WASM training curve step for step (|Δloss| < 2e-3 over 10 nano steps)', async () => {
    const curve = async (b: 'wasm' | 'webgpu') => {
      await useBackend(b);
      const run = createSmokeRun({ preset: 'nano', steps: 10, batchSize: 4, seqLen: 24, lr: 1e-2, seed: 2 });
      const losses: number[] = [];
      while (!run.done()) losses.push((await run.step()).loss);
      run.dispose();
      return losses;
    };
    const wasm = await curve('wasm');
    const gpu = await curve('webgpu');
    expect(wasm[9]).toBeLessThan(wasm[0] - 0.5); // it trains at all
    for (let i = 0; i < 10; i++) expect(Math.abs(gpu[i] - wasm[i]), `step ${i + 1}: webgpu ${gpu[i]}, wasm ${wasm[i]}`).toBeLessThan(2e-3);
  });
});

describe('training trains (WASM)', () => {
  beforeAll(() => useBackend('wasm'));

  it('nano overfits the smoke text: loss from ~ln(120) to below 1.0 within 40 steps; tensors flat after 1 and 5 steps', async () => {
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
  });
});

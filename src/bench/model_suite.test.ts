// The real-model suite (model_suite.ts) that the bench page and `npm run bench -- --model` run, on the tiny Qwen2
// fixture. Must hold: on WebGPU a decode row per weight precision in the order asked, the f16 row holding its
// matrices as half-precision words (about half the f32 row's bytes, the norms and biases in f32) at the same
// dispatches per token; each row's memory its own (the pool emptied between runs); progress names the precision
// and the phase; no tensor left behind. Off WebGPU the first precision alone, in f32; training modes give training
// rows instead; a checkpoint of no known model's shape gets no published figures. No timings are asserted.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendName } from '../engine/backend';
import { gpuPoolFreeBytes } from '../engine/gpu_pool';
import { TINY_VARIANTS, tinyCheckpoint } from '../engine/hf/tiny_checkpoint';
import { blobSource } from '../engine/hf/source';
import type { KernelPath } from '../engine/kernel_choice';
import { switchFusedKernels } from '../engine/kernels/fused';
import { switchTestBackend, testBackends } from '../engine/test_backends';
import { modelSuiteOptions, runModelSuite, type ModelSuiteDeps } from './model_suite';
import type { SuiteProgress } from './suite';

const hasWebGPU = (await testBackends()).includes('webgpu');

const { files } = tinyCheckpoint(TINY_VARIANTS.find((v) => v.name === 'qwen2-sharded-bf16')!);
const source = () =>
  blobSource(
    'tiny-qwen2',
    Object.entries(files).map(([path, bytes]) => ({ path, blob: new Blob([new Uint8Array(bytes)]) })),
  );

function deps(name: BackendName, path: KernelPath, progress: SuiteProgress[]): ModelSuiteDeps {
  return {
    async startBackend() {
      await switchTestBackend(name);
      return { name, skipped: [], summary: `test ${name}` };
    },
    async selectKernels(mode) {
      expect(mode).toBe('auto'); // the options' default
      switchFusedKernels(path === 'fused');
      const choice = { mode: path, path, summary: path, failing: [], checkedAt: null, cached: false };
      return { ...choice, subgroups: false };
    },
    openSource: async () => source(),
    onProgress: (p) => progress.push(p),
  };
}

describe('runModelSuite', () => {
  beforeAll(() => switchTestBackend('cpu'));
  afterAll(async () => {
    switchFusedKernels(false);
    await switchTestBackend('cpu');
  });

  it.skipIf(!hasWebGPU)(
    'decodes with f16 and f32 weights side by side on WebGPU, each run its own memory',
    async () => {
      const progress: SuiteProgress[] = [];
      const o = modelSuiteOptions({ weights: 'f32,f16', promptTokens: '6', newTokens: '3' });
      const before = tf.memory().numTensors;
      const r = await runModelSuite(o, deps('webgpu', 'fused', progress));
      expect(tf.memory().numTensors).toBe(before);
      expect(gpuPoolFreeBytes()).toBe(0); // emptied after the last run too
      expect(r.model).toBe('tiny-qwen2');
      expect(r.environments).toEqual(['test webgpu', 'kernels on webgpu: fused']);
      expect(r.published).toEqual([]); // the fixture has no known model's shape
      const [f32, f16] = r.rows;
      expect(r.rows.map((x) => [x.backend, x.weights])).toEqual([
        ['webgpu', 'f32'],
        ['webgpu', 'f16'],
      ]);
      expect(f16.weightBytesF32).toBe(f32.weightBytesF32);
      expect(f32.weightBytesOnDevice).toBe(f32.weightBytesF32);
      expect(f16.weightBytesOnDevice / f32.weightBytesOnDevice).toBeGreaterThan(0.5);
      expect(f16.weightBytesOnDevice / f32.weightBytesOnDevice).toBeLessThan(0.52);
      expect(f16.dispatchesPerToken).toBe(f32.dispatchesPerToken);
      expect(Number.isInteger(f16.dispatchesPerToken)).toBe(true);
      for (const row of r.rows) {
        // in use: at least the weights, and no more than tfjs counts (views counted once)
        expect(row.peakDeviceBytes).toBeGreaterThanOrEqual(row.weightBytesOnDevice);
        expect(row.peakDeviceBytes).toBeLessThanOrEqual(row.peakTensorBytes);
      }
      // the f16 run holds half the weight bytes; its buffers held, the pool's included, are its own (had it started
      // on the pool the f32 run left, they would count the f32 weights as well)
      expect(f32.peakDeviceBytes! - f16.peakDeviceBytes!).toBeGreaterThan(0.4 * f32.weightBytesOnDevice);
      expect(f16.gpuPoolBytes!).toBeLessThan(f32.gpuPoolBytes! - 0.4 * f32.weightBytesOnDevice);
      const labels = progress.map((p) => p.label);
      for (const w of ['f32', 'f16'])
        for (const phase of ['loading', 'first generation', 'prefill', 'decode of 3 tokens'])
          expect(
            labels.some((l) => l.startsWith(`${w} weights: ${phase}`)),
            `${w} ${phase}`,
          ).toBe(true);
      expect(progress.at(-1)).toEqual({ done: 2, total: 2, label: 'done' });
    },
  );

  it('off WebGPU decodes once, in f32, whatever precision comes first', async () => {
    const o = modelSuiteOptions({ weights: 'f16,f32', promptTokens: '4', newTokens: '2' });
    const r = await runModelSuite(o, deps('cpu', 'stock', []));
    expect(r.rows.map((x) => [x.backend, x.weights, x.peakDeviceBytes])).toEqual([['cpu', 'f32', null]]);
    expect(r.trainRows).toEqual([]);
  });

  it('measures training steps instead when training modes are given, leaving no tensor behind', async () => {
    const before = tf.memory().numTensors;
    const o = modelSuiteOptions({ train: 'lora4', batch: '2', seqLen: '8', trainSteps: '1' });
    const progress: SuiteProgress[] = [];
    const r = await runModelSuite(o, deps('cpu', 'stock', progress));
    expect(tf.memory().numTensors).toBe(before);
    expect(progress.map((p) => p.label)).toContain('training lora4: timed step 1 of 1');
    expect(r.rows).toEqual([]);
    expect(r.trainRows.map((t) => [t.stage, t.mode, t.batch, t.seqLen])).toEqual([['sft', 'lora4', 2, 8]]);
  });

  it('names a model without a config', async () => {
    const o = modelSuiteOptions({});
    const d = deps('cpu', 'stock', []);
    d.openSource = async () => blobSource('empty', []);
    await expect(runModelSuite(o, d)).rejects.toThrow('empty: no config.json');
  });
});

// The reductions bench on a nano shape: each kernel runs with subgroups and without where the device has them
// (SwiftShader does), the two paths issue the same GPU dispatches (one program each forward), times are
// positive, and nothing leaks.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceHasSubgroups, subgroupsAllowed } from '../engine/kernels/subgroups';
import { switchTestBackend, testBackends } from '../engine/test_backends';
import { benchReductions } from './reductions';

const webgpu = (await testBackends()).includes('webgpu');

describe.skipIf(!webgpu)('reductions bench on webgpu', () => {
  beforeAll(() => switchTestBackend('webgpu'));

  it('both paths per kernel, the same dispatches, one program per forward reduction', async () => {
    const before = tf.memory().numTensors;
    const shape = { model: 'nano', hidden: 10, heads: 2, kvHeads: 1, headDim: 4, vocab: 37 };
    const rows = await benchReductions(shape, { rows: 2, tokens: 3, context: 5, repeats: 1 });
    const paths = deviceHasSubgroups(tf.backend() as WebGPUBackend) ? [true, false] : [false];
    const kernels = [...new Set(rows.map((r) => r.kernel))];
    expect(kernels).toHaveLength(6);
    for (const k of kernels) {
      const runs = rows.filter((r) => r.kernel === k);
      expect(runs.map((r) => r.subgroups)).toEqual(paths);
      expect(new Set(runs.map((r) => r.dispatches)).size).toBe(1);
      for (const r of runs) expect(r.msPerCall).toBeGreaterThan(0);
    }
    const forward = rows.filter((r) => ['RMSNorm', 'residual add + RMSNorm', 'decode attention'].includes(r.kernel));
    expect(forward.map((r) => r.dispatches)).toEqual(forward.map(() => 1));
    expect(subgroupsAllowed()).toBe(true); // the switch is put back
    expect(tf.memory().numTensors).toBe(before);
  });
});

// The decode-matmul bench's arithmetic on a tiny shape: f16 rows read half the bytes of f32 rows, both take one
// GPU dispatch per product (up to 8 rows), times and GB/s are positive and consistent, nothing leaks.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { switchTestBackend, testBackends } from '../engine/test_backends';
import { benchDecodeMatmul, layerShapes } from './decode_matmul';

const webgpu = (await testBackends()).includes('webgpu');

describe.skipIf(!webgpu)('decode matmul bench on webgpu', () => {
  beforeAll(() => switchTestBackend('webgpu'));

  it('f16 reads half the bytes in one dispatch; GB/s = bytes / time', async () => {
    const before = tf.memory().numTensors;
    const [f32, f16] = await benchDecodeMatmul({ name: 'tiny', n: 10, k: 6 }, 3, 2);
    expect([f32.weights, f16.weights]).toEqual(['f32', 'f16']);
    expect(f32.weightBytes).toBe(10 * 6 * 4);
    expect(f16.weightBytes).toBe(f32.weightBytes / 2);
    for (const r of [f32, f16]) {
      expect(r.dispatches).toBe(1);
      expect(r.msPerProduct).toBeGreaterThan(0);
      expect(r.gbPerSecond).toBeCloseTo(r.weightBytes / (r.msPerProduct / 1000) / 1e9, 9);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a layer is q|k|v, o, gate|up and down', () => {
    expect(layerShapes('m', 8, 20, 8, 4).map((s) => [s.n, s.k])).toEqual([
      [16, 8],
      [8, 8],
      [40, 8],
      [8, 20],
    ]);
  });
});

// packF16Words on WebGPU gives the bits f16.ts's host rounding gives (ties to even, subnormals, the largest
// half, overflow to ±Infinity, NaN), on a row wider than the workgroup; unpackF16Words gives back exactly the
// halves' values; both refuse off WebGPU.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { f16BitsToF32, packF16, toF16Bits } from '../f16';
import { switchTestBackend, testBackends } from '../test_backends';
import { packF16Words, unpackF16Words } from './pack_f16';

const backends = await testBackends();

/** Values where rounding to a half is delicate, then normals of several scales, N × K of them. */
function awkward(N: number, K: number): Float32Array {
  const v = new Float32Array(N * K);
  const edge = [
    0,
    -0,
    1,
    -1,
    65504,
    65519,
    65520,
    -70000,
    1e-8,
    -3e-8,
    6.1e-5,
    5.96e-8,
    2.98e-8,
    2.99e-8,
    1 + 2 ** -11,
    1 + 3 * 2 ** -11,
    1 + 2 ** -11 + 2 ** -20,
    2049,
    2051,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -Number.POSITIVE_INFINITY,
    0.1,
    1 / 3,
  ];
  v.set(edge);
  let s = 7;
  for (let i = edge.length; i < v.length; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    v[i] = ((s / 2 ** 31) * 2 - 1) * 10 ** ((i % 9) - 5);
  }
  return v;
}

describe.each(backends)('half-precision words on the device, %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));

  if (backend !== 'webgpu') {
    it('refuse off WebGPU, naming the backend', () => {
      expect(() => packF16Words(tf.ones([2, 4]) as tf.Tensor2D)).toThrow(`the backend is ${backend}`);
      expect(() => unpackF16Words(tf.ones([2, 2], 'int32') as tf.Tensor2D)).toThrow(`the backend is ${backend}`);
    });
    return;
  }

  it('packF16Words = the host rounding, bit for bit; unpackF16Words gives the halves back', async () => {
    const [N, K] = [5, 2 * 67 + 2]; // 68 words a row: past the 64-thread workgroup
    const v = awkward(N, K);
    const before = tf.memory().numTensors;
    const x = tf.tensor2d(v, [N, K]);
    const words = packF16Words(x);
    expect(words.shape).toEqual([N, K / 2]);
    expect(words.dtype).toBe('int32');
    const host = packF16(toF16Bits(v));
    expect(Array.from(await words.data())).toEqual(Array.from(host));
    const back = unpackF16Words(words);
    const halves = new Uint16Array(host.buffer);
    const want = Array.from(halves, f16BitsToF32);
    expect(Array.from(await back.data())).toEqual(want);
    tf.dispose([x, words, back]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses an odd inner size and a non-f32 input, naming the shape', () => {
    expect(() => packF16Words(tf.ones([2, 3]) as tf.Tensor2D)).toThrow('[2, 3]');
  });
});

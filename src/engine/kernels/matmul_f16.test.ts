// Half-precision weights on WebGPU: matMulF16 and gatherF16Rows against a float64 product / lookup of the
// same halves written in the test (< 1e-5 relative to the row's scale: the programs accumulate in f32), on
// shapes that share no factor with the 64-thread workgroup, with and without a bias, for 1 to 19 rows (blocks
// of 8 rows past 8, a prefill's shape). Also: one dispatch for any M, no leaked tensors, a refusal off WebGPU.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { switchTestBackend, testBackends } from '../test_backends';
import { asHalves, linearRef, normals } from './f16_test_reference';
import { dispatches } from './check_tensor';
import { gatherF16Rows, matMulF16, packF16Weight } from './matmul_f16';

const backends = await testBackends();

describe.each(backends)('f16 weight kernels on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));

  if (backend !== 'webgpu') {
    it('refuse off WebGPU, naming the backend', async () => {
      const w = await packF16Weight(tf.ones([2, 4]) as tf.Tensor2D);
      expect(() => matMulF16(tf.ones([1, 4]) as tf.Tensor2D, w)).toThrow(`the backend is ${backend}`);
      tf.dispose(w);
    });
    return;
  }

  it.each([
    { M: 1, K: 130, N: 67, bias: false },
    { M: 3, K: 130, N: 67, bias: true },
    { M: 8, K: 200, N: 5, bias: true }, // fewer outputs than threads, several widths per row
    { M: 11, K: 66, N: 129, bias: false }, // two row blocks: 8 + 3 rows
    { M: 19, K: 130, N: 67, bias: true }, // three row blocks, a column count off the workgroup
    { M: 2, K: 12, N: 70, bias: true }, // K/2 = 6 words: a tail of 2 after the steps of 4
    { M: 5, K: 14, N: 3, bias: false }, // a tail of 3
  ])('matMulF16 [$M, $K] · [$N, $K]ᵀ (bias $bias) = the float64 product of the halves', async ({ M, K, N, bias }) => {
    const xv = normals(M * K, 1),
      wv = normals(N * K, 2),
      bv = bias ? normals(N, 3) : null;
    const x = tf.tensor2d(xv, [M, K]),
      w32 = tf.tensor2d(wv, [N, K]),
      b = bv ? tf.tensor1d(bv) : undefined;
    const w = await packF16Weight(w32);
    expect(w.dtype).toBe('int32');
    expect(w.shape).toEqual([N, K / 2]);
    const before = tf.memory().numTensors;
    const y = matMulF16(x, w, b);
    expect(y.shape).toEqual([M, N]);
    const got = await y.data();
    const want = linearRef(xv, asHalves(wv), bv, M, K, N);
    const scale = Math.sqrt(K); // |y| ~ √K for unit normals
    let err = 0;
    for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]) / scale);
    expect(err).toBeLessThan(1e-5);
    tf.dispose(y);
    expect(tf.memory().numTensors).toBe(before);
    expect(dispatches(() => matMulF16(x, w, b))).toBe(1);
    tf.dispose([x, w32, w, b ?? []]);
  });

  it('gatherF16Rows picks the halves of each id; an id outside the table gives zeros', async () => {
    const V = 70,
      C = 134;
    const tv = normals(V * C, 4);
    const table = await packF16Weight(tf.tensor2d(tv, [V, C]));
    const idList = [0, 69, 5, 5, -1, 70, 33];
    const out = gatherF16Rows(table, tf.tensor1d(idList, 'int32'));
    expect(out.shape).toEqual([idList.length, C]);
    const got = await out.data();
    const halves = asHalves(tv);
    idList.forEach((id, r) => {
      for (let c = 0; c < C; c++) expect(got[r * C + c]).toBe(id >= 0 && id < V ? halves[id * C + c] : 0);
    });
    tf.dispose([table, out]);
  });
});

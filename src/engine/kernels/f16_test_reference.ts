// Float64 references for the half-precision kernels' tests: seeded normal values, the halves the GPU holds for
// them, and x · Wᵀ (+ b) over those halves.
import { f16BitsToF32, toF16Bits } from '../f16';
import { createRng } from '../rng';

export const normals = (n: number, seed: number): Float32Array => {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
};

/** The values the GPU holds: each f32 rounded to its nearest half. */
export const asHalves = (v: Float32Array): Float64Array => Float64Array.from(toF16Bits(v), f16BitsToF32);

/** x [M, K] · Wᵀ (+ b) in float64 for W [N, K]. */
export function linearRef(
  x: ArrayLike<number>,
  w: Float64Array,
  b: ArrayLike<number> | null,
  M: number,
  K: number,
  N: number,
): Float64Array {
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      let s = b ? b[n] : 0;
      for (let k = 0; k < K; k++) s += x[m * K + k] * w[n * K + k];
      y[m * N + n] = s;
    }
  return y;
}

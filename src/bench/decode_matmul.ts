// Decode's matmuls alone, f32 weights (tfjs's matMul) against half-precision words (kernels/matmul_f16.ts),
// on a real model's projection shapes with one or a few rows: ms per product, weight bytes read per second
// (decode reads every weight once per token, so this is the figure to hold against the device's memory
// bandwidth) and GPU dispatches per product. `repeats` products run back to back with one readback at the
// end; a first product compiles the shaders and is not timed. WebGPU only.
import * as tf from '@tensorflow/tfjs';
import { installCounters } from '../engine/instrument';
import { matMulF16, packF16Weight } from '../engine/kernels/matmul_f16';

export interface MatmulShape {
  name: string; // e.g. "SmolLM2-135M gate|up"
  n: number; // outputs (W's rows)
  k: number; // inputs
}

/** One layer's projections of a model with hidden size C, MLP size F and q/kv widths: their [N, K]. */
export function layerShapes(model: string, C: number, F: number, qWidth: number, kvWidth: number): MatmulShape[] {
  return [
    { name: `${model} q|k|v`, n: qWidth + 2 * kvWidth, k: C },
    { name: `${model} o`, n: C, k: qWidth },
    { name: `${model} gate|up`, n: 2 * F, k: C },
    { name: `${model} down`, n: C, k: F },
  ];
}

export interface MatmulRow {
  shape: MatmulShape;
  rows: number;
  weights: 'f32' | 'f16';
  weightBytes: number;
  msPerProduct: number;
  gbPerSecond: number; // weight bytes read per second
  dispatches: number; // per product
}

async function timeProducts(product: () => tf.Tensor, repeats: number): Promise<number> {
  const first = product(); // compiles
  await first.data();
  first.dispose();
  const t = performance.now();
  let last: tf.Tensor | null = null;
  for (let i = 0; i < repeats; i++) {
    last?.dispose();
    last = product();
  }
  await last?.data();
  last?.dispose();
  return (performance.now() - t) / repeats;
}

function dispatchesOf(product: () => tf.Tensor): number {
  const c = installCounters();
  c.reset();
  product().dispose();
  c.uninstall();
  return c.counts.gpuDispatches;
}

/** f32 and f16 rows for one shape and row count. */
export async function benchDecodeMatmul(shape: MatmulShape, rows: number, repeats: number): Promise<MatmulRow[]> {
  const x = tf.randomNormal([rows, shape.k]) as tf.Tensor2D;
  const w32 = tf.randomNormal([shape.n, shape.k]) as tf.Tensor2D;
  const w16 = await packF16Weight(w32);
  try {
    const paths: [MatmulRow['weights'], () => tf.Tensor, number][] = [
      ['f32', () => tf.matMul(x, w32, false, true), 4],
      ['f16', () => matMulF16(x, w16), 2],
    ];
    const out: MatmulRow[] = [];
    for (const [weights, product, bytesPer] of paths) {
      const ms = await timeProducts(product, repeats);
      const weightBytes = shape.n * shape.k * bytesPer;
      out.push({
        shape,
        rows,
        weights,
        weightBytes,
        msPerProduct: ms,
        gbPerSecond: weightBytes / (ms / 1000) / 1e9,
        dispatches: dispatchesOf(product),
      });
    }
    return out;
  } finally {
    tf.dispose([x, w32, w16]);
  }
}

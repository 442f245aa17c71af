// Test helper: a pipeline model's weights read back, freed, and compared (the resume tests hold a resumed run's
// weights to an uninterrupted run's).
import * as tf from '@tensorflow/tfjs';
import type { PipelineModel } from './pipeline';

export type Weights = Record<string, Float32Array>;

export async function weightsOf(m: PipelineModel): Promise<Weights> {
  const out: Weights = {};
  for (const [n, v] of Object.entries(m.params)) out[n] = new Float32Array(await v.data());
  return out;
}

export const freeModel = (m: PipelineModel): void => tf.dispose(Object.values(m.params));

/** max |a − b| over the tensors of `a`. */
export function maxWeightDiff(a: Weights, b: Weights): number {
  let worst = 0;
  for (const n of Object.keys(a))
    for (let i = 0; i < a[n].length; i++) worst = Math.max(worst, Math.abs(a[n][i] - b[n][i]));
  return worst;
}

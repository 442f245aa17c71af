// Micro-batches (gradient accumulation): a batch's rows in consecutive slices whose gradients add up to the
// batch's, because each slice's loss is its share of the batch's (normalised over the whole batch, not the
// slice). Memory, not maths: the update is one full-batch step. Size 0 or ≥ B: the whole batch at once.
import * as tf from '@tensorflow/tfjs';

/** [first row, row count] of each slice of a B-row batch; size 0 is the whole batch. */
export function slices(B: number, size: number): [number, number][] {
  const s = size <= 0 ? B : Math.min(size, B);
  return Array.from({ length: Math.ceil(B / s) }, (_, k) => [k * s, Math.min(s, B - k * s)]);
}

/** sum + grads by name, freeing both (the running total of accumulated gradients); sum null: grads. */
export function addGrads(sum: tf.NamedTensorMap | null, grads: tf.NamedTensorMap): tf.NamedTensorMap {
  if (!sum) return grads;
  const out = Object.fromEntries(Object.entries(grads).map(([v, d]) => [v, tf.tidy(() => tf.add(sum[v], d))]));
  tf.dispose([...Object.values(sum), ...Object.values(grads)]);
  return out;
}

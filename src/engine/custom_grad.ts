// tf.customGrad for forward functions that name their inputs, e.g. (x: Tensor2D, w: Tensor2D, save) => ….
// tfjs types the inputs as (Tensor | GradSaveFunc)[], which no such function satisfies under strict
// function types, so each caller needed a cast; the one cast lives here. The result keeps the value's type.
import * as tf from '@tensorflow/tfjs';

export function customGrad<T extends tf.Tensor>(
  f: (...inputs: never[]) => { value: T; gradFunc: (...args: never[]) => tf.Tensor | tf.Tensor[] },
): (...inputs: tf.Tensor[]) => T {
  return tf.customGrad<T>(f as unknown as Parameters<typeof tf.customGrad<T>>[0]);
}

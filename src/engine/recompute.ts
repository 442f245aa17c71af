// Recomputation (activation checkpointing, Chen et al. 2016): a function whose intermediates are not kept
// for the backward pass. Its forward keeps only its input and the constants it reads; its gradient runs the
// forward again under a tape of its own and backpropagates through that. Memory for the backward pass of L
// blocks drops from every block's intermediates to one block's plus L block inputs, for one more forward.
// LoRA's switches (adapters off, dropout seed and draws) are taken at the forward and re-entered, so the
// recomputed block draws the same dropout masks and the gradients are those of the plain forward.
import * as tf from '@tensorflow/tfjs';
import { customGrad } from './custom_grad';
import { loraSwitches, withLoraSwitches } from './lora';

/**
 * f(x, consts) with its gradient by recomputation: gradients flow to x and to `vars` (the trainable
 * variables f reads); `consts` (tensors f reads that need no gradient, e.g. RoPE tables and the mask) are
 * passed in rather than closed over, since the caller's copies are freed before the backward pass.
 */
export function recomputed(
  f: (x: tf.Tensor, consts: tf.Tensor[]) => tf.Tensor,
  x: tf.Tensor,
  consts: tf.Tensor[],
  vars: tf.Variable[],
): tf.Tensor {
  const switches = loraSwitches();
  const run = customGrad((...args: never[]) => {
    const save = args[args.length - 1] as unknown as (ts: tf.Tensor[]) => void;
    save([x, ...consts]); // all the backward pass keeps of this function
    return {
      value: f(x, consts),
      gradFunc: (dy: tf.Tensor, [xs, ...cs]: tf.Tensor[]) => backward(() => f(xs, cs), xs, vars, dy, switches),
    };
  });
  return run(x, ...vars);
}

/**
 * d(f)/d[x, ...vars]·dy by running f again under its own tape. tfjs keeps one active tape: a gradient taken
 * inside another's backward pass replaces it and then clears it, so the outer tape is put back afterwards
 * (the outer pass frees its saved tensors from it when it ends).
 */
function backward(
  f: () => tf.Tensor,
  x: tf.Tensor,
  vars: tf.Variable[],
  dy: tf.Tensor,
  switches: ReturnType<typeof loraSwitches>,
): tf.Tensor[] {
  const engine = tf.engine();
  const outer = engine.state.activeTape;
  try {
    const xs = [x, ...vars];
    const { value, grads } = engine.gradients(() => withLoraSwitches(switches, f), xs, dy, true);
    value.dispose();
    return grads.map((g, i) => g ?? tf.zerosLike(xs[i]));
  } finally {
    engine.state.activeTape = outer;
  }
}

// model.ts's linear (y = x·Wᵀ, W [out, in] as nn.Linear) against the explicit-transpose composition that
// WASM takes (tf.matMul(x, tf.transpose(W)) under autodiff): y, dx and dW for a random upstream gradient
// (< 1e-4). On WebGPU, with the fused-kernel switch on or off, linear passes matMul's transpose flags
// (explicit transposes are for WASM only, model.ts's explicitTranspose), and tfjs-backend-webgpu's
// BatchMatMul reads the transposed operand in place (BatchMatMul_impl: reshapes to 3-D, one matmul
// program; the flag only picks the program's indexing): 1 dispatch forward, 2 backward, no Transpose.
// No kernel file: there is nothing to fuse beyond what the flags already give.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { installCounters } from '../instrument';
import { linear } from '../model';
import { testBackends, switchTestBackend } from '../test_backends';
import { checkTensor, randn } from './check_tensor';
import { switchFusedKernels } from './fused';

const backends = await testBackends();

type Linear = (x: tf.Tensor, w: tf.Tensor) => tf.Tensor;

/** The explicit-transpose composition, differentiated by tfjs: x [..., in] · transpose(W). */
const linearExplicit: Linear = (x, w) => {
  const lead = x.shape.slice(0, -1);
  return tf.reshape(tf.matMul(tf.reshape(x, [-1, x.shape[x.shape.length - 1]]), tf.transpose(w)), [
    ...lead,
    w.shape[0],
  ]);
};

/** [y, dx, dW] of `lin` for upstream gradient dy. */
function valueAndGrads(lin: Linear, x: tf.Tensor, w: tf.Tensor, dy: tf.Tensor): tf.Tensor[] {
  return [lin(x, w), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => lin(a, b))([x, w], dy)];
}

/** GPU dispatches and Transpose kernels issued by f (its result is disposed). */
function dispatches(f: () => tf.TensorContainer): { dispatches: number; transposes: number } {
  // replaced by a counting wrapper of another signature than tfjs's generic runKernel
  const engine = tf.engine() as unknown as { runKernel: (name: string, ...rest: unknown[]) => unknown };
  const runKernel = engine.runKernel;
  let transposes = 0;
  engine.runKernel = function (this: unknown, name: string, ...rest: unknown[]) {
    if (name === 'Transpose') transposes++;
    return runKernel.call(this, name, ...rest);
  };
  const counters = installCounters();
  counters.reset();
  try {
    tf.dispose(f());
  } finally {
    counters.uninstall();
    engine.runKernel = runKernel;
  }
  return { dispatches: counters.counts.gpuDispatches, transposes };
}

describe.each(backends)('linear on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));
  afterEach(() => switchFusedKernels(false));

  it.each([
    { x: [4, 16, 37], w: [24, 37] }, // [B, T, in], in and out not multiples of the 4-wide vector path
    { x: [8, 64, 16], w: [16, 16] }, // the bench's nano q_proj: B·T = 512 rows
    { x: [5, 33], w: [7, 33] }, // 2-D
  ])(
    'y, dx, dW with the switch on = the explicit-transpose composition (max error ≤ 1e-4): x $x, W $w',
    async ({ x: xs, w: ws }) => {
      const x = randn(xs, 1),
        w = tf.mul(randn(ws, 2), 0.2),
        dy = randn([...xs.slice(0, -1), ws[0]], 3);
      const ref = valueAndGrads(linearExplicit, x, w, dy);
      switchFusedKernels(true);
      const got = valueAndGrads(linear, x, w, dy);
      for (const [i, name] of ['y', 'dx', 'dW'].entries()) {
        expect(await checkTensor(got[i], ref[i], `${backend} x [${xs}] W [${ws}] ${name}`)).toBeLessThanOrEqual(1e-4);
      }
      tf.dispose([x, w, dy, ...ref, ...got]);
    },
  );

  it.runIf(backend === 'webgpu')(
    'forward 1 dispatch, forward + backward 3, no Transpose kernel, switch on or off; explicit transposes take more',
    () => {
      const x = randn([8, 64, 16], 1),
        w = randn([24, 16], 2),
        dy = randn([8, 64, 24], 3);
      const both = (lin: Linear) => () => tf.grads((a: tf.Tensor, b: tf.Tensor) => lin(a, b))([x, w], dy);
      const counts: Record<string, { dispatches: number; transposes: number }> = {};
      for (const on of [false, true]) {
        switchFusedKernels(on);
        counts[`forward ${on ? 'on' : 'off'}`] = dispatches(() => linear(x, w));
        counts[`both ${on ? 'on' : 'off'}`] = dispatches(both(linear));
      }
      counts.explicitForward = dispatches(() => linearExplicit(x, w));
      counts.explicitBoth = dispatches(both(linearExplicit));
      console.log('linear GPU dispatches', counts);
      for (const on of ['on', 'off']) {
        expect(counts[`forward ${on}`]).toEqual({ dispatches: 1, transposes: 0 });
        expect(counts[`both ${on}`]).toEqual({ dispatches: 3, transposes: 0 });
      }
      expect(counts.explicitBoth.dispatches).toBeGreaterThan(3);
      tf.dispose([x, w, dy]);
    },
  );
});

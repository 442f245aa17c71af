// The kernel self-check on WebGPU in Node: every case within 1e-4 of its stock composition, forward and
// gradients, and no tensor left behind. A check that cannot fail is worthless, and this one once missed a
// real bug (the add + RMSNorm backward summed its readers' gradients wrongly; only one reader was
// checked): a broken kernel registered in place of the real one must come out failing, by name.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { testBackends, switchTestBackend } from '../test_backends';
import { randn, withKernelReplaced } from './check_tensor';
import { compareDifferentiable } from './kernel_compare';
import { rmsNormStock } from './rms_norm';
import { checkFusedKernels, describeCheck, KERNEL_TOLERANCE, SELF_CHECK_CASES, verdict } from './self_check';

const backends = await testBackends();

const failing = (results: { kernel: string; pass: boolean }[]) => results.filter((r) => !r.pass).map((r) => r.kernel);

describe.runIf(backends.includes('webgpu'))('fused kernel self-check on webgpu', () => {
  beforeAll(() => switchTestBackend('webgpu'));

  it(`every case matches its stock composition within ${KERNEL_TOLERANCE}, and nothing leaks`, async () => {
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    const results = await checkFusedKernels((done) => seen.push(done));
    for (const r of results) console.log(describeCheck(r));
    expect(results.map((r) => r.kernel)).toEqual(SELF_CHECK_CASES.map((c) => c.kernel));
    expect(seen).toEqual(results.map((_, i) => i + 1));
    expect(results.filter((r) => !r.pass).map(describeCheck)).toEqual([]);
    // what the model really calls: every reader count of add + RMSNorm, both RoPE tables, GQA, the model itself
    const names = results.map((r) => r.kernel).join('\n');
    for (const n of ['y read by 1', 'y read by 2', 'y read by 3', 'positions per row', 'GQA 4:1', 'nano model, one'])
      expect(names).toContain(n);
    expect(results.filter((r) => r.gradient !== null).length).toBeGreaterThanOrEqual(12);
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000);

  it('fails by name an add + RMSNorm backward that drops every reader gradient but the first', async () => {
    // the bug this check once missed: with n readers of y, g = Σ_k dy_k must reach ds and dw; here the
    // ds program sees dy0 alone (dw stays right), as a wrongly joined sum would
    const dropReaders =
      (original: tf.KernelFunc): tf.KernelFunc =>
      (args) => {
        const firstOnly = Object.fromEntries(Object.entries(args.inputs).filter(([k]) => !/^dy[1-9]$/.test(k)));
        return original({ ...args, inputs: firstOnly });
      };
    const results = await withKernelReplaced('RubricAddRmsNormDs', dropReaders, () => checkFusedKernels());
    const caught = results.filter((x) => !x.pass).map((r) => `  ${describeCheck(r)}`);
    console.log(`the broken kernel, caught as it must be (these FAILs are expected):\n${caught.join('\n')}`);
    expect(failing(results)).toEqual([
      'residual add + RMSNorm, y read by 2 (gate, up)',
      'residual add + RMSNorm, y read by 3 (q, k, v)',
      'the family at nano size (q/k/v/o biases, q/k norms, head_dim ≠ C/H, GQA 7:1), one training step',
      'nano model, one training step: loss and every parameter gradient (left-padded batch, τ = 0.7)',
    ]);
    const broken = results.find((r) => r.kernel.includes('y read by 3'))!;
    expect(broken.forward).toBeLessThanOrEqual(KERNEL_TOLERANCE); // the forward is right: only gradients show it
    expect(broken.gradient!).toBeGreaterThan(KERNEL_TOLERANCE);
  }, 300_000);

  it('fails by name a forward kernel that computes the wrong thing (SwiGLU as silu(gate)·gate)', async () => {
    const gateTwice =
      (original: tf.KernelFunc): tf.KernelFunc =>
      (args) => {
        const { gate } = args.inputs as Record<string, tf.TensorInfo>;
        return original({ ...args, inputs: { ...args.inputs, up: gate } });
      };
    const cases = SELF_CHECK_CASES.filter((c) => /SwiGLU|nano model/.test(c.kernel));
    const results = await withKernelReplaced('RubricSwiGLU', gateTwice, () => checkFusedKernels(undefined, cases));
    expect(failing(results)).toEqual([
      'SwiGLU',
      'nano model, one training step: loss and every parameter gradient (left-padded batch, τ = 0.7)',
      'nano model, generation: KV-cache prefill of a left-padded batch and a decode step', // the prefill's MLP
    ]);
  }, 300_000);

  it('a case that throws fails with its message; the rest still run', async () => {
    const results = await checkFusedKernels(undefined, [
      {
        kernel: 'a kernel whose shader does not compile',
        shapes: '-',
        run: async () => {
          throw new Error('WGSL: unresolved identifier');
        },
      },
      SELF_CHECK_CASES[0],
    ]);
    expect(results.map((r) => r.pass)).toEqual([false, true]);
    expect(describeCheck(results[0])).toBe(
      'FAIL a kernel whose shader does not compile (-): error: WGSL: unresolved identifier',
    );
  });

  it('a gradient alone wrong, or a forward shifted by 1e-3, fails', async () => {
    // forward equal, backward scaled by 1 + 1e-3: only the gradient comparison can see it
    const scaleGradient = tf.customGrad(((x: tf.Tensor) => ({
      value: tf.mul(x, 1),
      gradFunc: (dy: tf.Tensor) => tf.mul(dy, 1.001),
    })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;
    const stock = (x: tf.Tensor, w: tf.Tensor) => rmsNormStock(x, w, 1e-5);
    const inputs = () => [randn([3, 70], 1), randn([70], 2)];
    const skewed = await compareDifferentiable((x, w) => stock(scaleGradient(x), w), stock, inputs());
    expect(skewed.forward).toBe(0);
    expect(skewed.gradient!).toBeGreaterThan(KERNEL_TOLERANCE);
    expect(verdict('skewed RMSNorm', 'x [3,70]', skewed).pass).toBe(false);
    const shifted = await compareDifferentiable((x, w) => tf.add(stock(x, w), 1e-3), stock, inputs());
    expect(shifted.forward).toBeGreaterThan(KERNEL_TOLERANCE);
    expect(verdict('shifted RMSNorm', 'x [3,70]', shifted).pass).toBe(false);
  });
});

describe('fused kernel self-check off WebGPU', () => {
  it('refuses with the backend named', async () => {
    await switchTestBackend('cpu');
    await expect(checkFusedKernels()).rejects.toThrow(/WebGPU programs; the backend is cpu/);
  });
});

// The kernel self-check on WebGPU in Node: every case within 1e-4 of its stock composition, forward and
// gradients, and no tensor left behind. A check that cannot fail is worthless, and this one once missed a
// real bug (the add + RMSNorm backward summed its readers' gradients wrongly; only one reader was
// checked): a broken kernel registered in place of the real one must come out failing, by name; so must a
// subgroup reduction that is wrong while the shared-memory one is right.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { testBackends, switchTestBackend } from '../test_backends';
import { randn, withKernelReplaced } from './check_tensor';
import { compareDifferentiable } from './kernel_compare';
import { rmsNormStock } from './rms_norm';
import {
  checkFusedKernels,
  describeCheck,
  KERNEL_TOLERANCE,
  SELF_CHECK_CASES,
  selfCheckCases,
  verdict,
  WITH_SUBGROUPS,
  WITHOUT_SUBGROUPS,
} from './self_check';
import { deviceHasSubgroups } from './subgroups';

const backends = await testBackends();

const failing = (results: { kernel: string; pass: boolean }[]) => results.filter((r) => !r.pass).map((r) => r.kernel);

describe.runIf(backends.includes('webgpu'))('fused kernel self-check on webgpu', () => {
  let subgroups = false; // the device has them (SwiftShader does, 4 wide)
  beforeAll(async () => {
    await switchTestBackend('webgpu');
    subgroups = deviceHasSubgroups(tf.backend() as WebGPUBackend);
  });
  /** A reduction case's names as the check runs it on this device. */
  const runs = (kernel: string) => (subgroups ? [kernel + WITH_SUBGROUPS, kernel + WITHOUT_SUBGROUPS] : [kernel]);

  it(`every case matches its stock composition within ${KERNEL_TOLERANCE}, and nothing leaks`, async () => {
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    const results = await checkFusedKernels((done) => seen.push(done));
    for (const r of results) console.log(describeCheck(r));
    expect(results.map((r) => r.kernel)).toEqual(selfCheckCases(subgroups).map((c) => c.kernel));
    // each reduction both ways where the device has subgroups
    expect(results.map((r) => r.kernel)).toEqual(expect.arrayContaining(runs('RMSNorm (first layer)')));
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
      ...runs('residual add + RMSNorm, y read by 2 (gate, up)'),
      ...runs('residual add + RMSNorm, y read by 3 (q, k, v)'),
      'the family at nano size (q/k/v/o biases, q/k norms, head_dim ≠ C/H, GQA 7:1), one training step',
      'nano model, one training step: loss and every parameter gradient (left-padded batch, τ = 0.7)',
    ]);
    const broken = results.find((r) => r.kernel.includes('y read by 3') && !r.kernel.endsWith(WITH_SUBGROUPS))!;
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

  it('fails by name each reduction whose subgroup path reads the first subgroup only, and only that path', async () => {
    if (!subgroups) return console.warn('no subgroups on this device: its one reduction path is checked above');
    // the bug a subgroup reduction invites: assuming one subgroup spans the workgroup (or 32 threads do), so the
    // partial sums of the others are dropped. The subgroup programs are compiled again with that bug in their
    // WGSL; the shared-memory programs are left as they are.
    const backend = tf.backend() as WebGPUBackend;
    const pipelines = (backend as unknown as { pipelineCache: Record<string, unknown> }).pipelineCache;
    const forgetSubgroupPrograms = () => {
      for (const key of Object.keys(pipelines)) if (key.includes('_subgroups')) delete pipelines[key];
    };
    const device = backend.device;
    const create = device.createShaderModule;
    const reductions = SELF_CHECK_CASES.filter((c) => c.reduces);
    forgetSubgroupPrograms();
    device.createShaderModule = (d) => {
      expect(d.code.includes('k < sgCount') || !d.code.includes('subgroupAdd')).toBe(true); // the line to break
      return create.call(device, { ...d, code: d.code.replaceAll('k < sgCount', 'k < min(sgCount, 1)') });
    };
    let results: Awaited<ReturnType<typeof checkFusedKernels>>;
    try {
      results = await checkFusedKernels(undefined, selfCheckCases(true, reductions));
    } finally {
      device.createShaderModule = create;
      forgetSubgroupPrograms(); // the next tests compile the real ones again
    }
    const caught = results.filter((x) => !x.pass).map((r) => `  ${describeCheck(r)}`);
    console.log(`the broken subgroup sums, caught as they must be (these FAILs are expected):\n${caught.join('\n')}`);
    expect(failing(results)).toEqual(reductions.map((c) => c.kernel + WITH_SUBGROUPS));
    expect(reductions.length).toBeGreaterThanOrEqual(10);
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

// The fused AdamW update (one WebGPU program per three parameters, p and the packed m, v written in place)
// against the stock one (optimizer.ts: clipByGlobalNorm, then ~14 ops per parameter): 3 steps with a
// varying lr, clipping active, weight decay on the matrices and off on the vector, give the same params, m
// and v (< 1e-5 on WebGPU; exactly equal on CPU, where the switch must change nothing); four parameters
// make one full program and one with a single parameter. Also: tensors sharing a buffer with a parameter
// are not written, numTensors stays flat, the moments survive a switch of layout (fused steps, then
// state() and stock steps; exportState() reads the packed moments as state() unpacks them), and the
// dispatches per optimizer step.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { clipByGlobalNorm, clipCoefficient, createAdamW, type AdamW } from '../optimizer';
import { testBackends, switchTestBackend } from '../test_backends';
import { checkTensor, dispatches, randn } from './check_tensor';
import { adamWProgramsFor } from './adamw';
import { switchFusedKernels } from './fused';

const backends = await testBackends();

// every size past WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD (1000), so no stock op is sent to the CPU; 1037 and
// 1113 share no factor with the 64-thread workgroup
const SHAPES: Record<string, number[]> = { a: [32, 37], norm: [1037], c: [3, 7, 53], d: [17, 61] };
// decayMatrices: a, c and d decay, norm does not
const HP = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };
const MAX_NORM = 1; // random grads have ‖g‖ ≈ 57: clipping is active
const LRS = [1e-2, 3e-2, 2e-2];

type Vars = Record<string, tf.Variable>;

/** The k-th step's gradients, the same for both runs. */
const gradsAt = (k: number) => Object.fromEntries(Object.entries(SHAPES).map(([n, s], i) => [n, randn(s, 10 * k + i)]));

/** Parameters as variables over `init`'s buffers (tf.variable shares them: in-place writes must not reach init). */
const paramsOver = (init: Record<string, tf.Tensor>): Vars =>
  Object.fromEntries(Object.entries(init).map(([n, t]) => [n, tf.variable(t)]));

/** One optimizer step as train/lm_step.ts takes it: clipped copies of the gradients, then apply. */
function stockStep(opt: AdamW, grads: Record<string, tf.Tensor>, lr: number): void {
  tf.tidy(() => opt.apply(clipByGlobalNorm(grads, MAX_NORM).grads, lr));
}

/** One optimizer step with the clip coefficient given to apply (the fused program scales each gradient). */
function scaledStep(opt: AdamW, grads: Record<string, tf.Tensor>, lr: number): void {
  tf.tidy(() => opt.apply(grads, lr, clipCoefficient(grads, MAX_NORM).coef!));
}

describe.each(backends)('fused AdamW update on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));
  afterEach(() => switchFusedKernels(false));
  // one program and ~14 stock ops round differently; off WebGPU the switch must change nothing
  const tol = backend === 'webgpu' ? 1e-5 : 0;

  it(
    `3 steps, fused = stock (params, m, v; max error ≤ ${tol}), and the tensors a parameter shares a buffer with ` +
      `keep their values`,
    async () => {
      const init = Object.fromEntries(Object.entries(SHAPES).map(([n, s], i) => [n, randn(s, 100 + i)]));
      const initCopy = Object.fromEntries(Object.entries(init).map(([n, t]) => [n, tf.add(t, 0)]));
      const grads = [0, 1, 2].map(gradsAt);
      const stockParams = paramsOver(init),
        fusedParams = paramsOver(init);
      const stock = createAdamW(stockParams, HP),
        fused = createAdamW(fusedParams, HP);
      for (let k = 0; k < 3; k++) stockStep(stock, grads[k], LRS[k]);
      switchFusedKernels(true);
      const counts: number[] = [];
      for (let k = 0; k < 3; k++) {
        scaledStep(fused, grads[k], LRS[k]);
        counts.push(tf.memory().numTensors);
      }
      switchFusedKernels(false);
      for (const name of Object.keys(SHAPES)) {
        const pairs: [string, tf.Tensor, tf.Tensor][] = [
          ['p', fusedParams[name], stockParams[name]],
          ['m', fused.state().m[name], stock.state().m[name]],
          ['v', fused.state().v[name], stock.state().v[name]],
        ];
        for (const [what, got, want] of pairs) {
          expect(
            await checkTensor(got, want, `${backend} ${name} [${SHAPES[name]}] ${what} after 3 steps`),
          ).toBeLessThanOrEqual(tol);
        }
        expect(await checkTensor(init[name], initCopy[name], `${backend} ${name} initial tensor`)).toBe(0);
        expect(await checkTensor(fusedParams[name], init[name], `${backend} ${name} moved by 3 steps`)).toBeGreaterThan(
          1e-3,
        );
      }
      expect(counts[2], `numTensors after each fused step: ${counts}`).toBe(counts[0]);
      stock.dispose();
      fused.dispose();
      tf.dispose([
        ...Object.values(stockParams),
        ...Object.values(fusedParams),
        ...Object.values(init),
        ...Object.values(initCopy),
        ...grads.flatMap(Object.values),
      ]);
    },
  );

  it('a parameter read between fused steps (a checkpoint save) reads its new values after the next', async () => {
    const init = Object.fromEntries(Object.entries(SHAPES).map(([n, s], i) => [n, randn(s, 100 + i)]));
    const grads = [0, 1].map(gradsAt);
    const stockParams = paramsOver(init),
      fusedParams = paramsOver(init);
    const stock = createAdamW(stockParams, HP),
      fused = createAdamW(fusedParams, HP);
    for (let k = 0; k < 2; k++) stockStep(stock, grads[k], LRS[k]);
    switchFusedKernels(true);
    scaledStep(fused, grads[0], LRS[0]);
    for (const name of Object.keys(SHAPES)) await fusedParams[name].data(); // tfjs keeps what it read on the CPU
    scaledStep(fused, grads[1], LRS[1]);
    switchFusedKernels(false);
    for (const name of Object.keys(SHAPES)) {
      const read = tf.tensor(await fusedParams[name].data(), SHAPES[name]);
      expect(
        await checkTensor(read, stockParams[name], `${backend} ${name} read after read, step`),
      ).toBeLessThanOrEqual(tol);
      read.dispose();
    }
    stock.dispose();
    fused.dispose();
    tf.dispose([
      ...Object.values(stockParams),
      ...Object.values(fusedParams),
      ...Object.values(init),
      ...grads.flatMap(Object.values),
    ]);
  });

  it('apply with gradScale = apply of the clipped gradients, on the stock path too', async () => {
    const init = Object.fromEntries(Object.entries(SHAPES).map(([n, s], i) => [n, randn(s, 100 + i)]));
    const g = gradsAt(0);
    const clipped = paramsOver(init),
      scaled = paramsOver(init);
    const a = createAdamW(clipped, HP),
      b = createAdamW(scaled, HP);
    stockStep(a, g, 1e-2);
    scaledStep(b, g, 1e-2);
    for (const name of Object.keys(SHAPES))
      expect(await checkTensor(scaled[name], clipped[name], `${backend} ${name} scaled vs clipped`)).toBe(0);
    a.dispose();
    b.dispose();
    tf.dispose([...Object.values(clipped), ...Object.values(scaled), ...Object.values(init), ...Object.values(g)]);
  });

  it('fused steps, then stock steps on the moments state() hands back = stock steps throughout', async () => {
    const init = Object.fromEntries(Object.entries(SHAPES).map(([n, s], i) => [n, randn(s, 100 + i)]));
    const grads = [0, 1, 2].map(gradsAt);
    const stockParams = paramsOver(init),
      mixedParams = paramsOver(init);
    const stock = createAdamW(stockParams, HP),
      mixed = createAdamW(mixedParams, HP);
    for (let k = 0; k < 3; k++) stockStep(stock, grads[k], LRS[k]);
    switchFusedKernels(true);
    for (let k = 0; k < 2; k++) scaledStep(mixed, grads[k], LRS[k]);
    switchFusedKernels(false);
    const exported = await mixed.exportState(); // read from the packed layout (a resume snapshot)
    const saved = mixed.state(); // back to a variable per parameter
    expect(Object.keys(saved.m)).toEqual(Object.keys(SHAPES));
    for (const name of Object.keys(SHAPES)) {
      expect(exported.m[name], `${name} m exported packed = unpacked`).toEqual(await saved.m[name].data());
      expect(exported.v[name], `${name} v exported packed = unpacked`).toEqual(await saved.v[name].data());
    }
    stockStep(mixed, grads[2], LRS[2]);
    const tolMixed = backend === 'webgpu' ? 1e-5 : 0;
    for (const name of Object.keys(SHAPES)) {
      expect(
        await checkTensor(mixedParams[name], stockParams[name], `${backend} ${name} fused, fused, stock`),
      ).toBeLessThanOrEqual(tolMixed);
      expect(
        await checkTensor(mixed.state().v[name], stock.state().v[name], `${backend} ${name} v fused, fused, stock`),
      ).toBeLessThanOrEqual(tolMixed);
    }
    stock.dispose();
    mixed.dispose();
    tf.dispose([
      ...Object.values(stockParams),
      ...Object.values(mixedParams),
      ...Object.values(init),
      ...grads.flatMap(Object.values),
    ]);
  });

  it.runIf(backend === 'webgpu')(
    'fused: one dispatch per three parameters for the update; a whole optimizer step takes fewer dispatches than stock',
    () => {
      const run = (fusedOn: boolean, step: typeof stockStep) => {
        const init = Object.fromEntries(Object.entries(SHAPES).map(([n, s], i) => [n, randn(s, 100 + i)]));
        const params = paramsOver(init);
        const opt = createAdamW(params, HP);
        const g = gradsAt(0);
        switchFusedKernels(fusedOn);
        step(opt, g, 1e-2); // first step: moments and parameters reach the GPU (and the fused path takes its buffers)
        const n = dispatches(() => step(opt, g, 1e-2));
        const applyOnly = dispatches(() => tf.tidy(() => opt.apply(g, 1e-2)));
        switchFusedKernels(false);
        opt.dispose();
        tf.dispose([...Object.values(params), ...Object.values(init), ...Object.values(g)]);
        return { step: n, applyOnly };
      };
      const stock = run(false, stockStep),
        fused = run(true, scaledStep);
      const params = Object.keys(SHAPES).length;
      console.log(
        `AdamW GPU dispatches per optimizer step (${params} parameters, norm + clip + update):`,
        { stock: stock.step, fused: fused.step },
        'update only:',
        { stock: stock.applyOnly, fused: fused.applyOnly },
      );
      expect(fused.applyOnly).toBe(adamWProgramsFor(params)); // 2 (3 + 1) under WebGPU's default 8 storage buffers
      expect(fused.step).toBeLessThan(stock.step);
    },
  );
});

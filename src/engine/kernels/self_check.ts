// The kernel self-check: every fused kernel against its stock composition on the device at hand, forward
// and backward, in the configurations the model calls it with (self_check_cases.ts), then the whole nano
// model with the switch on against off (self_check_model.ts). It gates the fused kernels' default
// (engine/kernel_choice.ts, once per adapter) and runs on demand in Node's tests and on bench.html, so a
// real GPU's WGSL is checked, not only ours on SwiftShader. Nano shapes: it runs at an app's first start.
// The unit tests of each kernel (kernels/*.test.ts) go further (more shapes, dispatch counts, leaks).
// Where the device has subgroups, each case whose programs reduce across a row runs twice, named ", with
// subgroups" and ", without subgroups": both reduction paths (subgroups.ts) are checked on the device.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { throwIfDeviceError } from '../device_errors';
import { onWebGPU } from './fused';
import { type Diffs, KERNEL_TOLERANCE } from './kernel_compare';
import { KERNEL_CASES, type KernelCase } from './self_check_cases';
import { FAMILY_CASES } from './self_check_family';
import { MODEL_CASES } from './self_check_model';
import { deviceHasSubgroups, withSubgroups } from './subgroups';

export { KERNEL_TOLERANCE } from './kernel_compare';
export type { KernelCase } from './self_check_cases';

export interface KernelCheck {
  kernel: string;
  shapes: string;
  forward: number; // max |fused − stock| over the outputs
  gradient: number | null; // over the input gradients; null for forward-only kernels (decode, sampling, optimizer)
  pass: boolean;
  error?: string; // the case threw (e.g. a GPU validation error): it fails with this message
}

export const SELF_CHECK_CASES: KernelCase[] = [...KERNEL_CASES, ...FAMILY_CASES, ...MODEL_CASES];

/** The suffixes of a reduction case's two runs. */
export const WITH_SUBGROUPS = ', with subgroups',
  WITHOUT_SUBGROUPS = ', without subgroups';

/** `cases` as a device runs them: with `subgroups`, each reduction case twice, by subgroups then without. */
export function selfCheckCases(subgroups: boolean, cases: KernelCase[] = SELF_CHECK_CASES): KernelCase[] {
  const run = (c: KernelCase, on: boolean): KernelCase => ({
    ...c,
    kernel: c.kernel + (on ? WITH_SUBGROUPS : WITHOUT_SUBGROUPS),
    run: () => withSubgroups(on, c.run),
  });
  return cases.flatMap((c) => (subgroups && c.reduces ? [run(c, true), run(c, false)] : [c]));
}

export function verdict(kernel: string, shapes: string, d: Diffs): KernelCheck {
  const ok = (x: number) => Number.isFinite(x) && x <= KERNEL_TOLERANCE;
  return { kernel, shapes, ...d, pass: ok(d.forward) && (d.gradient === null || ok(d.gradient)) };
}

/** One case; a throw, or a GPU error the device reported meanwhile, fails it with the message. */
async function runCase(c: KernelCase): Promise<KernelCheck> {
  try {
    const d = await c.run();
    throwIfDeviceError(`the kernel check of ${c.kernel}`);
    return verdict(c.kernel, c.shapes, d);
  } catch (e) {
    return {
      kernel: c.kernel,
      shapes: c.shapes,
      forward: NaN,
      gradient: null,
      pass: false,
      error: (e as Error).message,
    };
  }
}

/** Runs every case, by default each reduction both ways where the device has subgroups (WebGPU only: elsewhere
 * the fused functions are the stock ones). */
export async function checkFusedKernels(
  onProgress?: (done: number, total: number, last: KernelCheck) => void,
  given?: KernelCase[],
): Promise<KernelCheck[]> {
  if (!onWebGPU()) throw new Error(`the fused kernels are WebGPU programs; the backend is ${tf.getBackend()}`);
  const cases = given ?? selfCheckCases(deviceHasSubgroups(tf.backend() as WebGPUBackend)); // whatever the switch says;
  const results: KernelCheck[] = [];
  for (const c of cases) {
    results.push(await runCase(c));
    onProgress?.(results.length, cases.length, results[results.length - 1]);
  }
  return results;
}

/** A readable line per check, e.g. for a log or an error message. */
export function describeCheck(c: KernelCheck): string {
  const g = c.gradient === null ? '' : `, gradients ${c.gradient.toExponential(1)}`;
  const what = c.error ? `error: ${c.error}` : `forward ${c.forward.toExponential(1)}${g}`;
  return `${c.pass ? 'ok  ' : 'FAIL'} ${c.kernel} (${c.shapes}): ${what}`;
}

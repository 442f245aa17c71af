// The switch for the fused WebGPU kernels (engine/kernels/*). Off when a process starts: every caller
// gets the stock tfjs composition, bit for bit, until something turns it on — the app and the CLIs through
// engine/kernel_choice.ts (on by default where the kernel self-check passes on the adapter at hand), tests
// and benchmarks directly. On any backend but WebGPU the switch changes nothing: the kernels are WGSL.
import * as tf from '@tensorflow/tfjs';

let fused = false;

/** Turns the fused kernels on or off for this process (or worker). */
export function switchFusedKernels(on: boolean): void {
  fused = on;
}

export function fusedKernelsOn(): boolean {
  return fused;
}

/** Runs `work` with the switch set to `on`, then puts it back as it was. */
export function withFusedKernels<T>(on: boolean, work: () => T): T {
  const was = fused;
  fused = on;
  try {
    return work();
  } finally {
    fused = was;
  }
}

/** True when the current tfjs backend runs WGSL programs: the only place a fused kernel can run. */
export function onWebGPU(): boolean {
  return tf.getBackend() === 'webgpu';
}

// The switch for the fused WebGPU kernels (engine/kernels/*). Off by default: until a kernel has earned
// its place in a benchmark, every caller gets the stock tfjs composition, bit for bit. On any backend
// but WebGPU the switch changes nothing, because the kernels are WGSL programs.
import * as tf from '@tensorflow/tfjs';

let fused = false;

/** Turns the fused kernels on or off for this process (or worker). */
export function switchFusedKernels(on: boolean): void {
  fused = on;
}

export function fusedKernelsOn(): boolean {
  return fused;
}

/** True when the current tfjs backend runs WGSL programs: the only place a fused kernel can run. */
export function onWebGPU(): boolean {
  return tf.getBackend() === 'webgpu';
}

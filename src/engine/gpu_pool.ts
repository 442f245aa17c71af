// tfjs's WebGPU backend keeps every buffer a disposed tensor leaves, keyed by byte size and usage, for the
// next tensor of that size, and never gives one back. Training steps whose shapes change (GRPO's sequence
// lengths differ from step to step) keep adding sizes that later steps may never ask for again, so the
// pool grows through a run: 1.66 → 2.95 GB over two tiny GRPO steps on SwiftShader, live tensors flat.
// `trimGpuPool` destroys the kept buffers once they pass a cap. The hosts call it after each step, and a
// GRPO step between its phases with no cap (each phase's sizes are not the next's). Buffers in the pool
// belong to no tensor and to no unsubmitted command (tfjs pools a buffer only once the commands that read
// it are submitted; the trim submits what is recorded first), and WebGPU defers freeing a destroyed buffer
// until the work already submitted with it is done, so a trim is safe between any two kernels.
import * as tf from '@tensorflow/tfjs';

/** The fields of tfjs's BufferManager this relies on (tfjs-backend-webgpu 4.x). */
interface BufferPool {
  freeBuffers: Map<string, { size: number; destroy(): void }[]>;
  numFreeBuffers: number;
  numBytesAllocated: number;
  numBytesUsed: number;
}

/** Bytes the pool may keep for reuse before a trim empties it (most steps of our presets reuse far less). */
export const GPU_POOL_CAP_BYTES = 512 * 2 ** 20;

export interface PoolTrim {
  freedBytes: number;
  freedBuffers: number;
}

function pool(): BufferPool | null {
  if (tf.getBackend() !== 'webgpu') return null;
  // tfjs keeps the pool's fields private: no public type can say them
  const p = (tf.backend() as unknown as { bufferManager?: BufferPool }).bufferManager;
  return p && p.freeBuffers instanceof Map ? p : null;
}

/** The most bytes WebGPU's buffers came to since resetDeviceBytesPeak (each trim notes it before it frees). */
let heldPeak = 0;

/** Bytes of WebGPU buffers owned by tensors or pending commands now (the pool's free ones not); 0 elsewhere. */
export function gpuBytesInUse(): number {
  return pool()?.numBytesUsed ?? 0;
}

/** Bytes held by the pool for reuse (allocated, owned by no tensor); 0 off WebGPU. */
export function gpuPoolFreeBytes(): number {
  const p = pool();
  return p ? p.numBytesAllocated - p.numBytesUsed : 0;
}

/**
 * Submits the commands recorded so far: tfjs gives a disposed tensor's buffer back to the pool only once the
 * commands that used it are submitted (it submits every few dispatches and at each readback), so a trim
 * between two phases would miss the last buffers of the first.
 */
function submitRecorded(): void {
  // tfjs's WebGPU backend keeps these private (4.x)
  const b = tf.backend() as unknown as Partial<
    Record<'ensureCommandEncoderReady' | 'endComputePassEncoder' | 'submitQueue', () => void>
  >;
  if (!b.ensureCommandEncoderReady || !b.endComputePassEncoder || !b.submitQueue) return;
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  b.submitQueue();
}

/**
 * Destroys every kept buffer when together they pass `capBytes` (the commands recorded so far submitted first,
 * so the buffers they held are among them); nothing off WebGPU or under the cap.
 */
export function trimGpuPool(capBytes = GPU_POOL_CAP_BYTES): PoolTrim {
  const p = pool();
  if (p) {
    heldPeak = Math.max(heldPeak, p.numBytesAllocated);
    submitRecorded();
  }
  if (!p || p.numBytesAllocated - p.numBytesUsed <= capBytes) return { freedBytes: 0, freedBuffers: 0 };
  let freedBytes = 0,
    freedBuffers = 0;
  for (const list of p.freeBuffers.values()) {
    for (const b of list) {
      freedBytes += b.size;
      freedBuffers++;
      b.destroy();
    }
    list.length = 0; // the key stays: releaseBuffer expects a list for every size it has handed out
  }
  p.numFreeBuffers = 0;
  p.numBytesAllocated -= freedBytes;
  return { freedBytes, freedBuffers };
}

/** Starts deviceBytesHeld's high-water mark again from what the buffers hold now (e.g. as a step begins). */
export function resetDeviceBytesPeak(): void {
  heldPeak = pool()?.numBytesAllocated ?? 0;
}

/**
 * The most device memory tfjs held since resetDeviceBytesPeak, in bytes: on WebGPU its buffers allocated, the
 * pool's included (between trims the pool never shrinks, and each trim notes the count before it frees, so
 * this is the high-water mark of what the device gave this page); on WASM the heap, which never shrinks. Null
 * on the CPU backend.
 */
export function deviceBytesHeld(): number | null {
  const p = pool();
  if (p) return Math.max(heldPeak, p.numBytesAllocated);
  if (tf.getBackend() !== 'wasm') return null;
  // tfjs keeps its module private too
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap ? heap.buffer.byteLength : null;
}

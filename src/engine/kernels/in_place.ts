// How our programs write a tensor's GPU buffer in place (the KV cache, the sampler's state): the tensor
// comes in as an input and the shader re-declares its binding read_write (see adamw.ts for why WGSL and
// Dawn accept that). The written tensors are variables their owner created and never hands out, so every
// other reference to the buffer is a view of the same variable (a reshape), which is meant to see the
// write; copying on a shared reference (adamw.ts's ownBuffer) would instead leave such a view behind on
// the old buffer. One tfjs habit must still be undone: a readback caches the values on the CPU, and later
// reads return that copy rather than the buffer.
import type * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

/**
 * After a program wrote these tensors' buffers: drops any CPU copy a readback left, so the next read sees the writes.
 */
export function markWritten(backend: WebGPUBackend, written: tf.TensorInfo[]): void {
  // tfjs types `values` as never null, yet clears it with null itself (releaseGPUData)
  for (const t of written) backend.tensorMap.get(t.dataId).values = null as unknown as tf.BackendValues;
}

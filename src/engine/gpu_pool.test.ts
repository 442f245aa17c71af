// The WebGPU buffer pool is bounded: tfjs keeps every freed buffer for reuse and never frees one, so
// steps of changing shapes grow it without end. On real WebGPU in Node (SwiftShader here): training steps
// of changing lengths with a trim after each give the very losses of the same steps untrimmed, keep the
// pool under the cap plus one step's buffers where untrimmed it grows, and raise no GPU error. Off
// WebGPU the trim does nothing. deviceBytesHeld reads what a step took: WebGPU's buffers at their most since
// resetDeviceBytesPeak (the pool's included, a trim in between noted), or WASM's heap.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from './config';
import { throwIfDeviceError } from './device_errors';
import { deviceBytesHeld, gpuPoolFreeBytes, resetDeviceBytesPeak, trimGpuPool } from './gpu_pool';
import { initParams } from './model';
import { nodeWebGPUAvailable } from './node_webgpu';
import { switchTestBackend } from './test_backends';
import { createLmTrainer, type LmBatch } from '../train/lm_step';

const cfg = presetConfig('nano', { vocab_size: 40, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 });

function batch(T: number): LmBatch {
  const row = (b: number) => Array.from({ length: T }, (_, t) => 3 + ((b * 7 + t * 5) % 37));
  const ids = [0, 1, 2, 3].map(row);
  return { ids, targets: ids.map((r) => [...r.slice(1), 2]), mask: ids.map((r) => r.map(() => 1)) };
}

/**
 * Losses of steps at lengths `Ts` from one seeded init, with or without a trim after each; the pool's free bytes after
 * each.
 */
async function train(Ts: number[], cap: number | null) {
  const params = initParams(cfg, 4);
  const tr = createLmTrainer(params, cfg, {
    lr: 1e-2,
    beta1: 0.9,
    beta2: 0.95,
    eps: 1e-8,
    weightDecay: 0,
    maxGradNorm: 1,
  });
  const losses: number[] = [],
    pool: number[] = [];
  for (const T of Ts) {
    losses.push((await tr.step(batch(T), 1e-2)).loss);
    if (cap !== null) trimGpuPool(cap);
    pool.push(gpuPoolFreeBytes());
  }
  tr.dispose();
  tf.dispose(Object.values(params));
  return { losses, pool };
}

describe('GPU buffer pool', () => {
  it('does nothing off WebGPU', async () => {
    await switchTestBackend('cpu');
    expect(trimGpuPool(0)).toEqual({ freedBytes: 0, freedBuffers: 0 });
    expect(gpuPoolFreeBytes()).toBe(0);
  });

  it('on WebGPU: trimmed steps compute what untrimmed ones do, and the pool stays bounded', async () => {
    const why = await nodeWebGPUAvailable();
    if (why) {
      console.warn(`WebGPU not available: ${why}`);
      return;
    }
    await switchTestBackend('webgpu');
    const Ts = [9, 17, 25, 33, 9, 17];
    const plain = await train(Ts, null);
    trimGpuPool(0); // start the trimmed run from an empty pool
    const cap = 256 * 1024;
    const trimmed = await train(Ts, cap);
    throwIfDeviceError('the pool test');
    expect(trimmed.losses).toEqual(plain.losses); // the same numbers: no buffer in use was destroyed
    expect(Math.max(...trimmed.pool)).toBeLessThanOrEqual(cap);
    // untrimmed, each new length leaves more kept buffers behind
    expect(plain.pool[3]).toBeGreaterThan(plain.pool[0]);
    expect(plain.pool[3]).toBeGreaterThan(cap);
    // under the cap nothing goes; over it everything kept goes, and the allocator's count follows
    const mem = () => (tf.memory() as { numBytesAllocatedInGPU?: number }).numBytesAllocatedInGPU ?? 0;
    tf.dispose(tf.tidy(() => tf.add(tf.ones([1000]), 1))); // leaves buffers in the pool
    expect(trimGpuPool(10 ** 9)).toEqual({ freedBytes: 0, freedBuffers: 0 });
    const before = mem(),
      free = gpuPoolFreeBytes();
    const t = trimGpuPool(0);
    expect(t.freedBytes).toBe(free);
    expect(mem()).toBe(before - free);
    expect(gpuPoolFreeBytes()).toBe(0);
    // and the sizes it emptied are handed out again without error
    const x = tf.tidy(() => tf.add(tf.ones([1000]), 1));
    expect(Array.from(await x.data()).every((v) => v === 2)).toBe(true);
    x.dispose();
    // a buffer freed while the commands that read it wait unsubmitted goes too: the trim submits them first
    const inUse = () => (tf.memory() as { numBytesInGPU?: number }).numBytesInGPU ?? 0;
    const y = tf.ones([1 << 18]); // 1 MiB
    const z = tf.add(y, 1);
    y.dispose(); // its buffer waits for z's commands
    const held = inUse();
    trimGpuPool(0);
    expect(held - inUse()).toBeGreaterThanOrEqual(2 ** 20);
    expect(Array.from((await z.data()).slice(0, 3))).toEqual([2, 2, 2]);
    z.dispose();
    throwIfDeviceError('after the trim');
  }, 300_000);

  it('deviceBytesHeld: none on the CPU; WASM its heap; WebGPU its buffers at their most since a reset', async () => {
    await switchTestBackend('cpu');
    expect(deviceBytesHeld()).toBeNull();
    await switchTestBackend('wasm');
    const w = tf.ones([1 << 20]); // 4 MiB in the heap
    await w.data();
    expect(deviceBytesHeld()).toBeGreaterThanOrEqual(tf.memory().numBytes);
    w.dispose();
    const why = await nodeWebGPUAvailable();
    if (why) {
      console.warn(`WebGPU not available: ${why}`);
      return;
    }
    await switchTestBackend('webgpu');
    trimGpuPool(0);
    resetDeviceBytesPeak();
    const before = deviceBytesHeld()!;
    const x = tf.tidy(() => tf.add(tf.ones([1 << 20]), 1)); // 4 MiB on the GPU (its input freed to the pool)
    await x.data();
    expect(deviceBytesHeld()! - before).toBeGreaterThanOrEqual(4 * 2 ** 20);
    x.dispose();
    const held = deviceBytesHeld()!;
    expect(held - before).toBeGreaterThanOrEqual(4 * 2 ** 20); // freed, still the pool's: the high-water mark
    // a trim frees it, but the high-water mark stays until reset: a step that trims between its phases
    // reports its largest phase
    trimGpuPool(0);
    expect(deviceBytesHeld()).toBe(held);
    resetDeviceBytesPeak();
    expect(deviceBytesHeld()!).toBeLessThan(held);
    await switchTestBackend('cpu');
  });
});

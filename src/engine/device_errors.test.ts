// GPU errors surface: WebGPU reports a failed pipeline or submit only as an event on the device, and the
// work behind it silently computes nothing. The watcher keeps the first and throws it at the next check.
// On a stand-in device (any machine), and on a real WebGPU device in Node where one is reachable: tfjs's
// AddN of 9 tensors binds 10 storage buffers, past the default limit of 8, and must be reported.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { throwIfDeviceError, watchDeviceErrors } from './device_errors';
import { nodeWebGPUAvailable } from './node_webgpu';
import { switchTestBackend } from './test_backends';

function standIn() {
  const device = new EventTarget() as EventTarget & { lost: Promise<{ reason: string; message: string }> };
  let lose: (v: { reason: string; message: string }) => void = () => {};
  device.lost = new Promise((r) => {
    lose = r;
  });
  const fail = (message: string) =>
    device.dispatchEvent(Object.assign(new Event('uncapturederror'), { error: { message } }));
  return { device, fail, lose };
}

describe('device errors', () => {
  it('throws the first uncaptured error once, naming when it surfaced and how many came', () => {
    const { device, fail } = standIn();
    watchDeviceErrors(device);
    expect(() => throwIfDeviceError('nothing')).not.toThrow();
    fail('pipeline "AddNPackedProgram2": 9 storage buffers');
    fail('invalid command buffer');
    expect(() => throwIfDeviceError('GRPO, step 3')).toThrow(
      'WebGPU error during GRPO, step 3 (the first of 2): pipeline "AddNPackedProgram2": 9 storage buffers',
    );
    expect(() => throwIfDeviceError('GRPO, step 4')).not.toThrow(); // cleared
  });

  it('reports a lost device', async () => {
    const { device, lose } = standIn();
    watchDeviceErrors(device);
    lose({ reason: 'unknown', message: 'the driver reset' });
    await new Promise((r) => setTimeout(r, 0));
    expect(() => throwIfDeviceError('distillation, step 7')).toThrow(
      /during distillation, step 7: the GPU device was lost \(unknown\): the driver reset/,
    );
  });

  it('on real WebGPU, a pipeline past the storage-buffer limit is reported, not silently skipped', async () => {
    const why = await nodeWebGPUAvailable();
    if (why) {
      console.warn(`WebGPU not available: ${why}`);
      return;
    }
    await switchTestBackend('webgpu'); // initBackend starts watching the device
    throwIfDeviceError('setup');
    const xs = Array.from({ length: 9 }, (_, i) => tf.fill([4], i + 1));
    const y = tf.addN(xs);
    await y.data();
    tf.dispose([...xs, y]);
    let caught: Error | null = null;
    for (let i = 0; i < 100 && !caught; i++) {
      // the event comes after the queue work; allow a slow machine 5 s
      await new Promise((r) => setTimeout(r, 50));
      try {
        throwIfDeviceError('the test');
      } catch (e) {
        caught = e as Error;
      }
    }
    expect(caught?.message).toMatch(/WebGPU error during the test.*storage buffers/s);
  }, 120_000);
});

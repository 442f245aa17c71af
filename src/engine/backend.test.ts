// Backend selection says which backend runs and why each better one was skipped.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { initBackend } from './backend';
import { initNodeBackend, nodeWebGPUAvailable } from './node_webgpu';

describe('backend selection', () => {
  it('falls back from WebGPU to WASM when navigator.gpu is missing, and says why', async () => {
    // Runs first in this file, before any navigator.gpu is installed (Node 20 has no navigator).
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeUndefined();
    const r = await initBackend({ order: ['webgpu', 'wasm', 'cpu'] });
    expect(r.name).toBe('wasm');
    expect(r.skipped).toEqual([{ name: 'webgpu', reason: expect.stringContaining('navigator.gpu is not defined') }]);
    expect(r.summary).toContain('webgpu: navigator.gpu is not defined');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('picks CPU when asked first', async () => {
    const r = await initNodeBackend('cpu');
    expect(r.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('uses WebGPU in Node through the webgpu package when an adapter exists', async () => {
    const why = await nodeWebGPUAvailable();
    if (why) {
      console.warn(`WebGPU test skipped: ${why}`);
      const r = await initNodeBackend('webgpu');
      expect(r.name).not.toBe('webgpu');
      expect(r.skipped[0].name).toBe('webgpu');
      return;
    }
    const r = await initNodeBackend('webgpu');
    expect(r.name).toBe('webgpu');
    expect(r.adapter?.limits.maxBufferSize).toBeGreaterThan(0);
    expect(r.summary).toMatch(/^Running on WebGPU/);
    // the device was asked for the adapter's own buffer limits, not WebGPU's 256/128 MiB defaults: the memory
    // plan and the vocabulary split read these
    const device = (tf.backend() as WebGPUBackend).device.limits;
    expect(device.maxBufferSize).toBe(r.adapter?.limits.maxBufferSize);
    expect(device.maxStorageBufferBindingSize).toBe(r.adapter?.limits.maxStorageBufferBindingSize);
    console.info(
      `adapter limits: maxBufferSize ${device.maxBufferSize}, binding ${device.maxStorageBufferBindingSize}`,
    );
    // subgroups are asked for where the adapter has them (SwiftShader does: size 4), and the summary says so
    const features = (tf.backend() as WebGPUBackend).device.features;
    expect(features.has('subgroups')).toBe(r.adapter?.features.includes('subgroups'));
    expect(r.subgroups).toBe(features.has('subgroups'));
    expect(r.summary).toContain(r.subgroups ? ', subgroups' : ', no subgroups');
    console.info(r.summary);
  });
});

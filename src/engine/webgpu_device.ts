// tfjs's WebGPU backend on a device we ask for: what tfjs-backend-webgpu's own factory asks (the adapter's
// buffer and workgroup limits, timestamp queries where offered) plus the `subgroups` feature where the
// adapter has it, which the fused kernels' reductions use (kernels/subgroups.ts). Without the feature the
// device is as tfjs would make it. Registered in place of tfjs's factory before the backend first starts.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { hoistDirectives, SUBGROUPS_FEATURE } from './kernels/subgroups';

type BackendClass = new (device: GPUDevice, adapterInfo?: GPUAdapterInfo) => WebGPUBackend;

const OPTIONAL_FEATURES = ['timestamp-query', 'bgra8unorm-storage', SUBGROUPS_FEATURE] as const;

async function createBackend(Backend: BackendClass): Promise<WebGPUBackend> {
  const adapter = await navigator.gpu.requestAdapter({
    powerPreference: tf.env().get('WEBGPU_USE_LOW_POWER_GPU') ? 'low-power' : 'high-performance',
  });
  if (!adapter) throw new Error('navigator.gpu.requestAdapter() returned no adapter');
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: OPTIONAL_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[],
    requiredLimits: {
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  });
  if (device.features.has(SUBGROUPS_FEATURE)) hoistDirectives(device);
  return new Backend(device, adapter.info);
}

let replaced = false;

/** Registers our factory as 'webgpu', once, unless tfjs's own has already started (its tensors would go). */
export function registerWebGPUDevice(Backend: BackendClass): void {
  if (replaced || tf.engine().registry.webgpu) return;
  const priority = tf.engine().registryFactory.webgpu?.priority ?? 3;
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => createBackend(Backend), priority);
  replaced = true;
}

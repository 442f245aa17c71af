// Test helper: the backends a numerical test should run on in this process — CPU always, WebGPU when
// Node can reach an adapter (the `webgpu` package on SwiftShader here). The reason it is missing is
// printed, so a skipped WebGPU run is never silent.
import type { BackendName } from './backend';
import { initNodeBackend, nodeWebGPUAvailable } from './node_webgpu';

export async function testBackends(): Promise<BackendName[]> {
  const why = await nodeWebGPUAvailable();
  if (why) console.warn(`WebGPU tests not run in this process: ${why}`);
  return why ? ['cpu'] : ['cpu', 'webgpu'];
}

export async function switchTestBackend(name: BackendName): Promise<void> {
  const r = await initNodeBackend(name);
  if (r.name !== name) throw new Error(`wanted backend ${name}, got ${r.name}: ${r.summary}`);
}

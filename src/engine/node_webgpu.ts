// Node only: gives this process a `navigator.gpu` from the `webgpu` npm package (Dawn), so tfjs's
// WebGPU backend can register. On machines without a GPU, Dawn uses Chromium's SwiftShader Vulkan driver
// (VK_ICD_FILENAMES / LD_LIBRARY_PATH, set by scripts/swiftshader.mjs before the process starts).
import { initBackend, NODE_ORDER, type BackendName, type BackendReport } from './backend';

let installed: Promise<string | null> | null = null;

/** Returns null on success, else why WebGPU is not available in this Node process. */
export function installNodeWebGPU(): Promise<string | null> {
  installed ??= (async () => {
    try {
      const { create, globals } = await import('webgpu');
      Object.assign(globalThis, globals);
      const gpu = create([]);
      const nav = (globalThis as { navigator?: object }).navigator ?? {};
      Object.defineProperty(globalThis, 'navigator', {
        value: Object.assign(nav, { gpu }),
        configurable: true,
        writable: true,
      });
      return null;
    } catch (e) {
      return `the webgpu npm package did not load: ${(e as Error).message}`;
    }
  })();
  return installed;
}

/** Node's one call: `webgpu` asks for WebGPU (then WASM), anything else picks that backend first. */
export async function initNodeBackend(prefer: BackendName = 'wasm'): Promise<BackendReport> {
  if (prefer === 'webgpu') {
    const why = await installNodeWebGPU();
    if (why) {
      const r = await initBackend({ order: NODE_ORDER });
      return { ...r, skipped: [{ name: 'webgpu', reason: why }, ...r.skipped] };
    }
  }
  const order = [prefer, ...NODE_ORDER.filter((b) => b !== prefer)];
  return initBackend({ order });
}

/** True when this process can run WebGPU tests (the webgpu package loads and an adapter exists). */
export async function nodeWebGPUAvailable(): Promise<string | null> {
  const why = await installNodeWebGPU();
  if (why) return why;
  const adapter = await navigator.gpu.requestAdapter();
  return adapter ? null : 'no WebGPU adapter (install Debian chromium for its SwiftShader Vulkan driver)';
}

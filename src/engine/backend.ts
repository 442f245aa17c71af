// Backend selection: WebGPU, else WASM, else WebGL, else CPU — and a report of which one runs and why
// each better one was skipped. The one call the rest of the code uses is `initBackend`.
// Node callers that want WebGPU first install `navigator.gpu` (see engine/node_webgpu.ts).
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { watchDeviceErrors } from './device_errors';
import { SUBGROUPS_FEATURE } from './kernels/subgroups';
import { registerWebGPUDevice } from './webgpu_device';

export type BackendName = 'webgpu' | 'wasm' | 'webgl' | 'cpu';

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  limits: Record<string, number>;
  features: string[];
  /** The browser's own flag for a fallback (software) adapter, where it says so. */
  fallback?: boolean;
  /** The adapter's subgroup sizes [min, max], where it says them. */
  subgroupSizes?: [number, number];
}

export interface BackendReport {
  name: BackendName;
  /** Set when `name` is webgpu. */
  adapter?: AdapterReport;
  /** Set when `name` is webgpu: the device has the `subgroups` feature (the fused reductions use it). */
  subgroups?: boolean;
  /** Every backend tried before the chosen one, with the reason it was not used. */
  skipped: { name: BackendName; reason: string }[];
  /** One sentence for the UI and the CLI. */
  summary: string;
}

export interface InitOptions {
  /** Order of preference; the default is the browser order. */
  order?: BackendName[];
  /** Where the WASM binaries are served (browser builds); Node finds them in node_modules. */
  wasmPaths?: string | Record<string, string>;
}

export const BROWSER_ORDER: BackendName[] = ['webgpu', 'wasm', 'webgl', 'cpu'];
export const NODE_ORDER: BackendName[] = ['wasm', 'cpu'];

const LIMIT_KEYS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxStorageBuffersPerShaderStage',
] as const;

/** This context's WebGPU adapter, or why there is none. */
export async function describeAdapter(): Promise<AdapterReport | string> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return 'navigator.gpu is not defined (this browser or context has no WebGPU, or it is disabled)';
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return `requestAdapter() threw: ${(e as Error).message}`;
  }
  if (!adapter) return 'navigator.gpu.requestAdapter() returned no adapter (no usable GPU or driver)';
  const info = adapter.info ?? ({} as GPUAdapterInfo);
  // older browsers put the flag on the adapter itself
  const legacy = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const limits: Record<string, number> = {};
  for (const k of LIMIT_KEYS) limits[k] = Number(adapter.limits[k]);
  // newer than the GPUAdapterInfo type here
  const sizes = info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    limits,
    features: [...adapter.features].sort(),
    fallback: info.isFallbackAdapter ?? legacy ?? false,
    ...(sizes.subgroupMinSize
      ? { subgroupSizes: [sizes.subgroupMinSize, sizes.subgroupMaxSize ?? sizes.subgroupMinSize] as [number, number] }
      : {}),
  };
}

async function register(name: BackendName, opts: InitOptions): Promise<void> {
  if (name === 'webgpu') registerWebGPUDevice((await import('@tensorflow/tfjs-backend-webgpu')).WebGPUBackend);
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (opts.wasmPaths) wasm.setWasmPaths(opts.wasmPaths as string);
  }
  if (name === 'webgl') await import('@tensorflow/tfjs-backend-webgl');
}

/** A tiny op whose answer we know: a backend that registers but computes wrong is refused. */
async function selfTest(): Promise<string | null> {
  const y = tf.tidy(() =>
    tf.matMul(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      tf.tensor2d([[1], [1]]),
    ),
  );
  const v = await y.data();
  y.dispose();
  return v[0] === 3 && v[1] === 7 ? null : `self-test gave [${Array.from(v).join(', ')}], expected [3, 7]`;
}

/** Frees a backend that is not in use (its buffers, its device's pools) and keeps it registered, so it can be
 * started again. Its tensors must be gone: they are lost with it. */
export function releaseBackend(name: BackendName): void {
  const entry = tf.engine().registryFactory[name];
  if (!entry || tf.getBackend() === name || !tf.engine().registry[name]) return;
  tf.removeBackend(name);
  tf.registerBackend(name, entry.factory, entry.priority);
}

/** e.g. "subgroups of 4", "subgroups of 32–64", "no subgroups". */
function subgroupWords(on: boolean | undefined, a: AdapterReport): string {
  if (!on) return 'no subgroups';
  const [lo, hi] = a.subgroupSizes ?? [];
  return lo ? `subgroups of ${lo === hi ? lo : `${lo}–${hi}`}` : 'subgroups';
}

export async function initBackend(opts: InitOptions = {}): Promise<BackendReport> {
  const order = opts.order ?? BROWSER_ORDER;
  const skipped: BackendReport['skipped'] = [];
  for (const name of order) {
    let adapter: AdapterReport | undefined;
    let subgroups: boolean | undefined;
    try {
      if (name === 'webgpu') {
        const a = await describeAdapter();
        if (typeof a === 'string') {
          skipped.push({ name, reason: a });
          continue;
        }
        adapter = a;
      }
      await register(name, opts);
      if (!(await tf.setBackend(name))) {
        skipped.push({ name, reason: `tf.setBackend('${name}') failed to initialise` });
        continue;
      }
      await tf.ready();
      const bad = await selfTest();
      if (bad) {
        skipped.push({ name, reason: bad });
        continue;
      }
      if (name === 'webgpu') {
        const device = (tf.backend() as WebGPUBackend).device;
        watchDeviceErrors(device);
        subgroups = device.features.has(SUBGROUPS_FEATURE);
      }
    } catch (e) {
      skipped.push({ name, reason: (e as Error).message });
      continue;
    }
    const adapterName =
      adapter && [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' ');
    const what = adapter
      ? `WebGPU on ${adapterName || 'an unnamed adapter'}, ${subgroupWords(subgroups, adapter)}`
      : name.toUpperCase();
    const why = skipped.length ? ` (${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : '';
    return { name, adapter, ...(adapter ? { subgroups } : {}), skipped, summary: `Running on ${what}${why}` };
  }
  throw new Error(`No tfjs backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

// Node only: the kernel choice (kernel_choice.ts) for the CLIs, with the self-check's outcome cached in
// a JSON file outside the repository's tracked files (node_modules/.cache/rubric-lab/kernel-checks.json),
// keyed by adapter, Node and Dawn versions, and the engine's source hash. RUBRIC_SUBGROUPS=off keeps the fused
// reductions off subgroups (to compare, or to rule them out) where the device has them.
import { createRequire } from 'node:module';
import type { BackendReport } from './backend';
import { engineSourceVersion } from './engine_version_node';
import {
  type KernelCheckCache,
  type KernelCheckRecord,
  type KernelChoice,
  type KernelMode,
  selectKernels,
} from './kernel_choice';
import { cacheFile, fileCache } from './keyed_cache_node';

export const DEFAULT_KERNEL_CACHE = cacheFile('kernel-checks');

/** The self-check's outcomes by key in one JSON file (keyed_cache_node.ts). */
export const fileKernelCheckCache = (file = DEFAULT_KERNEL_CACHE): KernelCheckCache =>
  fileCache<KernelCheckRecord>(file);

/** What compiles the WGSL in Node: Node itself and the `webgpu` package (Dawn). */
export function nodeRuntime(): string {
  let dawn = 'unknown';
  try {
    dawn = (createRequire(import.meta.url)('webgpu/package.json') as { version: string }).version;
  } catch {
    // the package hides its package.json: the Node version still separates most setups
  }
  return `Node ${process.version} ${process.platform}-${process.arch}, webgpu ${dawn}`;
}

/** The CLIs' kernel choice: kernel_choice.ts's rule with the file cache. */
export function selectKernelsInNode(
  mode: KernelMode,
  report: BackendReport,
  cacheFile = DEFAULT_KERNEL_CACHE,
): Promise<KernelChoice> {
  return selectKernels(mode, report, {
    cache: fileKernelCheckCache(cacheFile),
    version: engineSourceVersion(),
    runtime: nodeRuntime(),
    subgroups: process.env.RUBRIC_SUBGROUPS !== 'off',
  });
}

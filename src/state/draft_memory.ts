// The draft run's training memory plan on this adapter (shown before Start, and Start refuses a plan that
// does not fit): a fresh model of the draft's preset (or the real model picked), the draft's shapes, the backend's
// adapter limits and the kernels in force (the fused path keeps fewer intermediates).
import type { BackendReport } from '../engine/backend';
import type { LlamaConfig } from '../engine/config';
import type { KernelPath } from '../engine/kernel_choice';
import type { MemoryLimits } from '../engine/memory';
import { freshConfig } from '../train/pipeline';
import type { RunConfig } from '../train/run_config';
import type { RunShapes } from '../train/run_estimate';
import { runLimits, runMemory, type StageMemory } from '../train/run_memory';
import { draftShapes } from './engine_estimate';

/** The WebGPU adapter's buffer limits and the kernels in force, or null on another backend (nothing to check). */
export function adapterLimitsOf(backend: BackendReport | null, path: KernelPath | null = null): MemoryLimits | null {
  const l = backend?.adapter?.limits;
  if (!l) return null;
  return {
    maxBufferSize: l.maxBufferSize,
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    ...(path ? { path } : {}),
  };
}

/** The model a run trains when it is not a fresh one of the draft's preset: a real model's config and the run's
 * lengths through its tokenizer (worker/models_host.ts's cachedModelShapes). */
export interface DraftModel {
  config: LlamaConfig;
  shapes: RunShapes;
}

export function draftMemory(
  run: RunConfig,
  backend: BackendReport | null,
  path: KernelPath | null,
  model?: DraftModel,
): StageMemory[] {
  const cfg = model?.config ?? freshConfig(run).cfg;
  return runMemory(run, cfg, model?.shapes ?? draftShapes(run), runLimits(run, adapterLimitsOf(backend, path)));
}

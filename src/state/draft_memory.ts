// The draft run's training memory plan on this adapter (shown before Start, and Start refuses a plan that
// does not fit): a fresh model of the draft's preset, the draft's shapes, the backend's adapter limits.
import type { BackendReport } from '../engine/backend';
import type { MemoryLimits } from '../engine/memory';
import { freshConfig } from '../train/pipeline';
import type { RunConfig } from '../train/run_config';
import { runLimits, runMemory, type StageMemory } from '../train/run_memory';
import { draftShapes } from './engine_estimate';

/** The WebGPU adapter's buffer limits, or null on another backend (nothing to check for the GPU). */
export function adapterLimitsOf(backend: BackendReport | null): MemoryLimits | null {
  const l = backend?.adapter?.limits;
  return l ? { maxBufferSize: l.maxBufferSize, maxStorageBufferBindingSize: l.maxStorageBufferBindingSize } : null;
}

export function draftMemory(run: RunConfig, backend: BackendReport | null): StageMemory[] {
  return runMemory(run, freshConfig(run).cfg, draftShapes(run), runLimits(run, adapterLimitsOf(backend)));
}

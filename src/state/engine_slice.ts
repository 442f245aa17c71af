// Which backend runs with which kernels and why (measured step times per backend and model), the engine's
// memory, and failures that end the session (a lost GPU device).
import type { StateCreator } from 'zustand';
import type { BackendReport } from '../engine/backend';
import type { BackendChoice, Measurement } from '../engine/backend_choice';
import type { KernelChoice } from '../engine/kernel_choice';
import type { SmokeStep } from '../train/smoke';
import type { MemoryReport } from '../worker/protocol';
import type { AppState } from './store';

export interface EngineSlice {
  backendChoice: BackendChoice | null; // the measured (or overridden) choice and its reason; null before it
  timings: Record<string, Measurement[]>; // each model's step times per candidate backend, by modelKey
  probing: string | null; // what the backend probe is measuring now
  backend: BackendReport | null;
  kernels: KernelChoice | null; // the kernel path in force and why; null while it is being chosen
  kernelCheck: { done: number; total: number } | null; // the self-check's progress, at a first start
  backendError: string | null;
  memory: MemoryReport | null;
  fatalError: string | null; // e.g. the GPU device was lost: reload to go on
  storageWarning: string | null; // IndexedDB unavailable: nothing persists
  smoke: { running: boolean; steps: SmokeStep[]; error: string | null }; // the engine check
  fusedKernels: boolean; // the switch: our WebGPU programs instead of stock tfjs ops (follows the click at once)
}

export const engineInitial: EngineSlice = {
  backendChoice: null,
  timings: {},
  probing: null,
  backend: null,
  kernels: null,
  kernelCheck: null,
  backendError: null,
  memory: null,
  fatalError: null,
  storageWarning: null,
  smoke: { running: false, steps: [], error: null },
  fusedKernels: false,
};

/** The engine can take work: a backend, and the kernels chosen (a first start's self-check is done). */
export const engineReady = (s: EngineSlice): boolean => s.backend !== null && s.kernels !== null;

export const createEngineSlice: StateCreator<AppState, [], [], EngineSlice> = () => ({ ...engineInitial });

// Which backend runs, the engine's memory, and failures that end the session (a lost GPU device).
import type { StateCreator } from 'zustand';
import type { BackendReport } from '../engine/backend';
import type { SmokeStep } from '../train/smoke';
import type { MemoryReport } from '../worker/protocol';
import type { AppState } from './store';

export interface EngineSlice {
  backend: BackendReport | null;
  backendError: string | null;
  memory: MemoryReport | null;
  fatalError: string | null; // e.g. the GPU device was lost: reload to go on
  storageWarning: string | null; // IndexedDB unavailable: nothing persists
  smoke: { running: boolean; steps: SmokeStep[]; error: string | null }; // the engine check
  fusedKernels: boolean; // our WebGPU programs instead of stock tfjs ops (WebGPU only)
}

export const engineInitial: EngineSlice = {
  backend: null,
  backendError: null,
  memory: null,
  fatalError: null,
  storageWarning: null,
  smoke: { running: false, steps: [], error: null },
  fusedKernels: false,
};

export const createEngineSlice: StateCreator<AppState, [], [], EngineSlice> = () => ({ ...engineInitial });

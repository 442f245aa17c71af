// The app store: zustand slices joined in one bound store. Actions live outside the store so the worker
// event handler (not React) can call them. Create a fresh store per test with `createAppStore()`.
import { create, type StateCreator } from 'zustand';
import type { BackendReport } from '../engine/backend';
import type { SmokeStep } from '../train/smoke';
import type { WorkerEvent } from '../worker/protocol';

export interface EngineSlice {
  backend: BackendReport | null;
  backendError: string | null;
}

export interface SmokeSlice {
  smokeRunning: boolean;
  smokeTotal: number;
  smokePoints: SmokeStep[];
  smokeError: string | null;
}

export type AppState = EngineSlice & SmokeSlice;

const createEngineSlice: StateCreator<AppState, [], [], EngineSlice> = () => ({ backend: null, backendError: null });
const createSmokeSlice: StateCreator<AppState, [], [], SmokeSlice> = () => ({ smokeRunning: false, smokeTotal: 0, smokePoints: [], smokeError: null });

export const createAppStore = () => create<AppState>()((...a) => ({ ...createEngineSlice(...a), ...createSmokeSlice(...a) }));

export const useAppStore = createAppStore();

export const setBackend = (backend: BackendReport) => useAppStore.setState({ backend, backendError: null });
export const setBackendError = (backendError: string) => useAppStore.setState({ backendError });
export const startSmoke = (total: number) => useAppStore.setState({ smokeRunning: true, smokeTotal: total, smokePoints: [], smokeError: null });
export const endSmoke = () => useAppStore.setState({ smokeRunning: false });

/** Applies one worker event to the store. */
export function applyWorkerEvent(e: WorkerEvent): void {
  switch (e.kind) {
    case 'smoke-step':
      useAppStore.setState((s) => ({ smokePoints: [...s.smokePoints, e.step], smokeTotal: e.total }));
      break;
    case 'smoke-done':
      endSmoke();
      break;
    case 'error':
      useAppStore.setState({ smokeRunning: false, smokeError: `${e.where}: ${e.message}` });
      break;
  }
}

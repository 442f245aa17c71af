// Starting the page: connect to the engine worker, pick the backend, open storage, read the link's
// settings, and route every worker event to its actions.
import type { BackendName } from '../engine/backend';
import { connectEngine, getEngine } from '../worker/client';
import type { WorkerEvent } from '../worker/protocol';
import { applyJudgeEvent } from './judge_actions';
import { getLab } from './lab';
import { refreshLibrary } from './library_actions';
import { applyRunEvent, applyRunStatus, markInterruptedRuns } from './run_actions';
import { useAppStore } from './store';
import { parseHash } from './url';

const set = useAppStore.setState;

/** Every worker event goes through here. */
export function applyWorkerEvent(e: WorkerEvent): void {
  switch (e.kind) {
    case 'run':
      void applyRunEvent(e);
      break;
    case 'run-status':
      void applyRunStatus(e);
      break;
    case 'memory':
      set({ memory: e.memory });
      break;
    case 'smoke':
      set((st) => ({ smoke: { ...st.smoke, steps: [...st.smoke.steps, e.step] } }));
      break;
    case 'judge-trace':
      applyJudgeEvent(e);
      break;
    case 'error':
      if (e.fatal) set({ fatalError: `${e.where}: ${e.message}` });
      else set({ runError: `${e.where}: ${e.message}` });
      break;
  }
}

function readHash(): void {
  const h = parseHash(location.hash);
  set({ page: h.page, draft: h.config, linkError: h.error });
}

/** `?backend=wasm` (or webgl, cpu) forces a backend, e.g. to try the fallback path on a WebGPU machine. */
export async function boot(): Promise<void> {
  readHash();
  window.addEventListener('hashchange', readHash);
  const lab = getLab().then(async ({ warning }) => {
    set({ storageWarning: warning });
    await markInterruptedRuns();
    await refreshLibrary();
  });
  const forced = new URLSearchParams(location.search).get('backend') as BackendName | null;
  await connectEngine(applyWorkerEvent);
  try {
    set({ backend: await getEngine().init({ forceBackend: forced ?? undefined }) });
  } catch (e) {
    set({ backendError: (e as Error).message });
  }
  await lab;
}

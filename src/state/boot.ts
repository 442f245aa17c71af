// Starting the page: connect to the engine worker, pick the backend, open storage, read the link's
// settings, and route every worker event to its actions.
import type { BackendName } from '../engine/backend';
import { BACKEND_MODES } from '../engine/backend_choice';
import { connectEngine } from '../worker/client';
import type { WorkerEvent } from '../worker/protocol';
import { BACKEND_PARAM, startEngine, watchDraftModel } from './engine_actions';
import { applyJudgeEvent } from './judge_actions';
import { getLab } from './lab';
import { refreshLibrary } from './library_actions';
import { applyModelEvent, initModels } from './models_actions';
import { applyRunEvent, applyRunStatus, markInterruptedRuns } from './run_actions';
import { useAppStore } from './store';
import { restoreTrainChoices, watchTrainModel } from './train_model_actions';
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
    case 'kernel-check':
      set({ kernelCheck: { done: e.done, total: e.total } });
      break;
    case 'judge-trace':
      applyJudgeEvent(e);
      break;
    case 'model-progress':
      applyModelEvent(e);
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

/** The link's `?backend=`: a backend's name forces it; 'auto' or none measures; anything else is refused. */
function forcedBackend(): BackendName | undefined {
  const raw = new URLSearchParams(location.search).get(BACKEND_PARAM);
  if (raw === null || raw === 'auto') return undefined;
  if ((BACKEND_MODES as readonly string[]).includes(raw)) return raw as BackendName;
  set({ linkError: `?${BACKEND_PARAM}=${raw} is not a backend (${BACKEND_MODES.join(', ')}): measuring instead` });
  return undefined;
}

/** `?backend=wasm` (or webgpu, webgl, cpu) forces a backend; without it the page measures which is fastest. */
export async function boot(): Promise<void> {
  readHash();
  window.addEventListener('hashchange', readHash);
  const lab = getLab().then(async ({ warning }) => {
    set({ storageWarning: warning });
    await markInterruptedRuns();
    await refreshLibrary();
    // runs other tabs start or leave show up as the lists refresh: check their locks then too
    useAppStore.subscribe((s, prev) => {
      if (s.runs !== prev.runs) void markInterruptedRuns();
    });
  });
  await connectEngine(applyWorkerEvent);
  const models = initModels(); // the model cache needs no backend: listed while the engine starts
  // the Train page's model and datasets of the last visit, once storage lists its datasets
  const choices = lab.then(() => {
    restoreTrainChoices();
    watchTrainModel();
  });
  await startEngine(forcedBackend());
  watchDraftModel();
  await Promise.all([lab, models, choices]);
}

// Starting the engine — the backend chosen by measurement for the draft's model (engine/backend_choice.ts,
// measured in a throwaway worker, cached per adapter, browser and model) or the one the link forces, then the
// kernels — the backend override, step times for a model the draft switches to, the engine check (a few dozen
// steps of `nano` on a built-in text, in the worker: the loss must fall) and the fused-kernels switch.
import type { BackendName } from '../engine/backend';
import { type BackendChoice, type BackendMode, modelKey } from '../engine/backend_choice';
import { freshConfig } from '../train/pipeline';
import { getEngine } from '../worker/client';
import { chooseBackendInBrowser, type ProbeEvents } from '../worker/probe_client';
import { draftModelKey, runCost } from './engine_estimate';
import { type AppState, useAppStore } from './store';

const set = useAppStore.setState;
const get = useAppStore.getState;

/** The link's option that forces a backend (the Engine panel's override writes it). */
export const BACKEND_PARAM = 'backend';

const probeEvents: ProbeEvents = {
  onProgress: (probing) => set({ probing }),
  onKernelCheck: (done, total) => set({ kernelCheck: { done, total } }),
};

/** The draft's model's measurements (cached, else probed now) and the choice among them for the draft. */
async function measureDraft(mode: BackendMode): Promise<BackendChoice> {
  const draft = get().draft;
  const { cfg } = freshConfig(draft);
  try {
    const choice = await chooseBackendInBrowser(mode, cfg, runCost(draft), probeEvents);
    set((s) => ({ timings: { ...s.timings, [modelKey(cfg)]: choice.measurements } }));
    return choice;
  } finally {
    set({ probing: null, kernelCheck: null });
  }
}

const unmeasured = (forced: BackendName | undefined, reason: string): BackendChoice => ({
  mode: forced ?? 'auto',
  backend: forced ?? 'webgpu',
  kernels: 'auto',
  candidate: null,
  reason,
  measurements: [],
  measuredAt: null,
  cached: false,
});

/**
 * Chooses the backend (measured, or forced by the link), starts it in the engine worker, then hears which
 * kernels it chose (fused where the self-check passes on this adapter and measured no slower than stock).
 */
export async function startEngine(forced?: BackendName): Promise<void> {
  let choice: BackendChoice;
  try {
    choice = await measureDraft(forced ?? 'auto');
  } catch (e) {
    choice = unmeasured(forced, `the backends could not be measured (${(e as Error).message}); the usual order`);
  }
  try {
    set({ backendChoice: choice });
    const kernelReason = choice.kernels === 'stock' ? 'measured faster here than the fused kernels' : undefined;
    set({ backend: await getEngine().init({ forceBackend: choice.backend, kernels: choice.kernels, kernelReason }) });
    const kernels = await getEngine().kernels();
    set({ kernels, kernelCheck: null, fusedKernels: kernels.path === 'fused' });
  } catch (e) {
    set({ backendError: (e as Error).message });
  }
}

let measuring = false;

/** When the draft switches to a model without step times (another preset or tokenizer), measure it, between
 * runs: the estimate needs them. The engine keeps its backend; the estimate names a much faster one. */
export function watchDraftModel(): () => void {
  const check = async (s: AppState) => {
    if (measuring || s.live || !s.backend || s.timings[draftModelKey(s.draft)]) return;
    measuring = true;
    try {
      await measureDraft('auto');
    } catch {
      // the estimate says the model is not measured
    } finally {
      measuring = false;
    }
  };
  return useAppStore.subscribe((s, prev) => {
    if (s.draft !== prev.draft || s.live !== prev.live || s.backend !== prev.backend) void check(s);
  });
}

/** The Engine panel's override: the page starts again on that backend ('auto': the fastest measured). */
export function overrideBackend(mode: BackendMode): void {
  const url = new URL(location.href);
  if (mode === 'auto') url.searchParams.delete(BACKEND_PARAM);
  else url.searchParams.set(BACKEND_PARAM, mode);
  location.assign(url.toString());
}

export async function runEngineCheck(): Promise<void> {
  if (useAppStore.getState().smoke.running) return;
  set({ smoke: { running: true, steps: [], error: null } });
  try {
    await getEngine().smokeTrain();
    set((s) => ({ smoke: { ...s.smoke, running: false } }));
  } catch (e) {
    set((s) => ({ smoke: { ...s.smoke, running: false, error: (e as Error).message } }));
  }
}

/**
 * The switch: on asks for the fused kernels, off for stock ops. The box follows the click at once (a
 * checkbox that waits for the worker feels broken); the worker's answer says why, and a refusal undoes it.
 */
export async function setFusedKernels(on: boolean): Promise<void> {
  const was = useAppStore.getState().fusedKernels;
  set({ fusedKernels: on });
  try {
    const kernels = await getEngine().setKernels(on ? 'fused' : 'stock');
    set({ kernels, fusedKernels: kernels.path === 'fused' });
  } catch (e) {
    set((s) => ({ fusedKernels: was, smoke: { ...s.smoke, error: (e as Error).message } }));
  }
}

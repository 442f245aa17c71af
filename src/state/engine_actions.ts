// The engine check — a few dozen steps of `nano` on a built-in text, in the worker, to show that this
// backend trains (the loss falls) before a long run is started — and the fused-kernels switch.
import { getEngine } from '../worker/client';
import { useAppStore } from './store';

const set = useAppStore.setState;

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

/** The box follows the click at once (a checkbox that waits for the worker feels broken); a refusal undoes it. */
export async function setFusedKernels(on: boolean): Promise<void> {
  const was = useAppStore.getState().fusedKernels;
  set({ fusedKernels: on });
  try {
    await getEngine().setFusedKernels(on);
  } catch (e) {
    set((s) => ({ fusedKernels: was, smoke: { ...s.smoke, error: (e as Error).message } }));
  }
}

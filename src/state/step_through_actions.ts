// Actions of the GRPO step-through: open a step (on the paused live run or on a fresh demo), run its
// next stage, move back and forth over the stages already run, and close it.
import { applyOverrides } from '../train/run_config';
import { getEngine } from '../worker/client';
import { checkpointFiles, isBuiltin, shippedInfo } from './builtin_judges';
import { guardCall } from './call_guard';
import { useAppStore } from './store';

const set = useAppStore.setState;
const get = useAppStore.getState;

const guarded = (work: () => Promise<void>) => guardCall({ inFlight: 'stInFlight', error: 'stError' }, work);

/** Opens the paused live run's next GRPO step. */
export const beginLive = () =>
  guarded(async () => {
    const stInfo = await getEngine().beginStepThrough({ source: 'live' });
    set({ stInfo, stOutputs: [], stCursor: -1 });
  });

/** Opens a step of a fresh demo run made small by `overrides`: from a shipped judge on the world it was
 * trained on, from a stored checkpoint or fresh weights (null) on the Train page's settings. */
export const beginDemo = (checkpointId: string | null, overrides: Record<string, string>) =>
  guarded(async () => {
    const base = checkpointId && isBuiltin(checkpointId) ? (await shippedInfo()).run : get().draft;
    const init = checkpointId ? await checkpointFiles(checkpointId) : undefined;
    if (init === null) throw new Error(`Checkpoint ${checkpointId} is no longer in storage`);
    const config = applyOverrides(base, overrides);
    const stInfo = await getEngine().beginStepThrough({ source: 'demo', config, init });
    set({ stInfo, stOutputs: [], stCursor: -1 });
  });

/** Next: show the next stage already run, or run the next one. */
export const next = () => {
  const s = get();
  if (s.stCursor < s.stOutputs.length - 1) return set({ stCursor: s.stCursor + 1 });
  if (!s.stInfo || s.stOutputs.length >= s.stInfo.stages.length) return;
  return guarded(async () => {
    const out = await getEngine().nextStage();
    set((x) => ({ stOutputs: [...x.stOutputs, out], stCursor: x.stOutputs.length }));
  });
};

/** Back: show the previous stage (the update is not undone; Back only reviews). */
export const back = () => set((s) => ({ stCursor: Math.max(0, s.stCursor - 1) }));

export const close = () =>
  guarded(async () => {
    await getEngine().endStepThrough();
    set({ stInfo: null, stOutputs: [], stCursor: -1 });
  });

// Actions of the Train page's model and data choices: a real model of the model cache to train instead of a
// fresh one of the preset (LoRA on by default; its config and the draft's lengths through its tokenizer are
// read by the worker, for the memory plan, again whenever a setting they depend on changes), the dataset to
// distil on and the one GRPO runs on. All three are remembered across reloads, as the settings are by the URL.
import { getEngine } from '../worker/client';
import { errorMessage } from './call_guard';
import { shapesKey } from './engine_estimate';
import { setDraft, setGrpoDataset } from './run_actions';
import type { TrainModelChoice } from './run_slice';
import { loadChoice, saveChoice } from './saved_choice';
import { type AppState, useAppStore } from './store';
import { withRealModelLora } from './train_model';

const MODEL_CHOICE = 'train-model';
const DISTILL_CHOICE = 'distill-dataset';
const GRPO_CHOICE = 'grpo-dataset';
const set = useAppStore.setState;
const get = useAppStore.getState;

/** The picked model's config and the draft's lengths through its tokenizer, unless held for these settings. */
export async function refreshTrainModelInfo(): Promise<void> {
  const { trainModel: picked, draft, trainModelInfo: held } = get();
  const key = shapesKey(draft);
  if (!picked || (held?.id === picked.id && held.key === key)) return;
  try {
    const info = await getEngine().cachedModelShapes(picked.id, draft);
    if (get().trainModel?.id === picked.id && shapesKey(get().draft) === key)
      set({ trainModelInfo: { ...info, id: picked.id, key }, trainModelError: null });
  } catch (e) {
    if (get().trainModel?.id === picked.id) set({ trainModelInfo: null, trainModelError: errorMessage(e) });
  }
}

/** Picks a real model to train (null: the built-in preset); a real model trains LoRA adapters by default. */
export function chooseTrainModel(picked: TrainModelChoice | null): void {
  set({ trainModel: picked, trainModelInfo: null, trainModelError: null });
  saveChoice(MODEL_CHOICE, picked && JSON.stringify(picked));
  if (picked) setDraft(withRealModelLora(get().draft));
  void refreshTrainModelInfo();
}

export function chooseDistillDataset(id: string | null): void {
  set({ distillDataset: id });
  saveChoice(DISTILL_CHOICE, id);
}

export function chooseGrpoDataset(id: string | null): void {
  setGrpoDataset(id);
  saveChoice(GRPO_CHOICE, id);
}

function savedModel(): TrainModelChoice | null {
  try {
    const m = JSON.parse(loadChoice(MODEL_CHOICE) ?? 'null') as TrainModelChoice | null;
    return typeof m?.id === 'string' && typeof m.name === 'string' ? { id: m.id, name: m.name } : null;
  } catch {
    return null; // a damaged choice: the built-in preset
  }
}

/** The choices of an earlier visit: the model as it was picked (Start says if it has left the cache since),
 * the datasets while storage still holds them. */
export function restoreTrainChoices(): void {
  const datasets = new Set(get().datasets.map((d) => d.id));
  const kept = (name: string) => {
    const id = loadChoice(name);
    return id !== null && datasets.has(id) ? id : null;
  };
  set({ trainModel: savedModel(), distillDataset: kept(DISTILL_CHOICE), grpoDataset: kept(GRPO_CHOICE) });
  void refreshTrainModelInfo();
}

/** Reads the picked model's lengths again when a setting they depend on changes. */
export function watchTrainModel(): () => void {
  const changed = (s: AppState, prev: AppState) =>
    s.draft !== prev.draft && shapesKey(s.draft) !== shapesKey(prev.draft);
  return useAppStore.subscribe((s, prev) => {
    if (s.trainModel && changed(s, prev)) void refreshTrainModelInfo();
  });
}

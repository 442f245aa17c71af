// The real model a run trains, as the Train page offers and checks it: the model cache's snapshots by name
// (a partly downloaded one said so), LoRA on for a real model unless the draft has a rank already, and why a
// picked model cannot start a run — gone from the cache or missing files — naming it. Pure.
import { applyOverrides, REAL_MODEL_LORA_RANK, type RunConfig } from '../train/run_config';
import type { CachedModel } from '../worker/models_protocol';
import { cachedModelName } from './judge_model';
import type { TrainModelChoice } from './run_slice';

export interface TrainModelOption {
  id: string; // the cache id
  name: string;
  label: string; // as the picker lists it
}

/** Every cached model as a picker option; the picked one is listed too when the cache no longer holds it. */
export function trainModelOptions(cached: readonly CachedModel[], picked: TrainModelChoice | null): TrainModelOption[] {
  const options = cached.map((m) => {
    const name = cachedModelName(m);
    return { id: m.id, name, label: m.missing.length ? `${name} (incomplete)` : name };
  });
  if (picked && !options.some((o) => o.id === picked.id))
    options.push({ ...picked, label: `${picked.name} (not in the cache)` });
  return options;
}

/** The draft for a real model: LoRA adapters at the default rank unless it trains some already. */
export const withRealModelLora = (run: RunConfig): RunConfig =>
  run.lora.rank > 0 ? run : applyOverrides(run, { 'lora.rank': String(REAL_MODEL_LORA_RANK) });

/** Why the picked model cannot start a run, naming it; null when every file of it is in the cache. */
export function trainModelProblem(picked: TrainModelChoice, cached: readonly CachedModel[]): string | null {
  const m = cached.find((x) => x.id === picked.id);
  if (!m)
    return (
      `The model ${picked.name} is no longer in this browser's model cache: load it again (Runs page, Models) ` +
      'or pick another'
    );
  if (m.missing.length)
    return (
      `The model ${picked.name} is incomplete in the model cache (missing ${m.missing.join(', ')}): load it ` +
      'again to fetch the rest'
    );
  return null;
}

// Actions of the Judge page's adapter picker: put a PEFT adapter on the real model that judges, from its two
// files (a folder or the files themselves) or from a Hub repository (the Hub URL and token of the model
// loader), or take it off. The worker checks it against the model (a tensor of the wrong shape is refused,
// naming it and both shapes); a base_model_name_or_path naming another model is a warning naming both.
import { ADAPTER_FILES, baseMismatch, fetchHubAdapter } from '../engine/hf/adapter_source';
import { normalizeHubUrl, parseHubId } from '../engine/hf/model_ref';
import { getEngine } from '../worker/client';
import { cacheIdOf } from '../worker/judge_protocol';
import { judgeCheckpoint } from './judge_actions';
import { cachedModelName } from './judge_model';
import type { JudgeAdapter } from './judge_slice';
import { useAppStore } from './store';

const set = useAppStore.setState;
const get = useAppStore.getState;

/** The adapter on the model that judges now, if any. */
export const currentAdapter = (s: ReturnType<typeof get>): JudgeAdapter | null =>
  s.judgeAdapters.find((a) => a.modelId === judgeCheckpoint(s)) ?? null;

/** Whether the model that judges can take an adapter (a real model of the model cache). */
export const takesAdapter = (s: ReturnType<typeof get>): boolean => cacheIdOf(judgeCheckpoint(s)) !== null;

export const setAdapterHubId = (adapterHubId: string) => set({ adapterHubId, adapterError: null });

/** The adapter from picked files (a folder's, or the two files), named `name`. */
export async function addAdapterFiles(name: string, picked: readonly File[]): Promise<void> {
  await putAdapter(name, async () => {
    const files: Record<string, Uint8Array> = {};
    for (const want of ADAPTER_FILES) {
      const f = picked.find((p) => p.name === want);
      if (!f)
        throw new Error(
          `${name}: no ${want} among the files picked (a PEFT adapter has ${ADAPTER_FILES.join(' and ')})`,
        );
      files[want] = new Uint8Array(await f.arrayBuffer());
    }
    return files;
  });
}

/** The adapter of the Hub repository typed in (owner/name[@revision]). */
export async function addAdapterFromHub(): Promise<void> {
  const { adapterHubId, modelForm } = get();
  await putAdapter(adapterHubId.trim(), () =>
    fetchHubAdapter(parseHubId(adapterHubId), {
      hubUrl: normalizeHubUrl(modelForm.hubUrl),
      token: modelForm.token.trim() || undefined,
    }),
  );
}

export async function removeAdapter(): Promise<void> {
  const id = judgeCheckpoint(get());
  set({ adapterBusy: true, adapterError: null });
  try {
    await getEngine().setAdapter(id, null);
    set((s) => ({ judgeAdapters: s.judgeAdapters.filter((a) => a.modelId !== id) }));
  } catch (e) {
    set({ adapterError: `Could not take the adapter off: ${(e as Error).message}` });
  } finally {
    set({ adapterBusy: false });
  }
}

async function putAdapter(name: string, read: () => Promise<Record<string, Uint8Array>>): Promise<void> {
  const s = get();
  const modelId = judgeCheckpoint(s);
  const cacheId = cacheIdOf(modelId);
  if (cacheId === null)
    return set({ adapterError: 'Choose a real model (model cache) first: a PEFT adapter goes on its base model.' });
  set({ adapterBusy: true, adapterError: null });
  try {
    const info = await getEngine().setAdapter(modelId, await read());
    if (!info) throw new Error('the worker put no adapter on');
    const model = s.cachedModels.find((m) => m.id === cacheId);
    const warning = baseMismatch(info.baseModel, model ? cachedModelName(model) : cacheId);
    const adapter: JudgeAdapter = { modelId, name, info, warning };
    set((st) => ({ judgeAdapters: [...st.judgeAdapters.filter((a) => a.modelId !== modelId), adapter] }));
  } catch (e) {
    set({ adapterError: `Adapter ${name}: ${(e as Error).message}` });
  } finally {
    set({ adapterBusy: false });
  }
}

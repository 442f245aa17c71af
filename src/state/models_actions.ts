// Actions of the Models section: list and delete cached models, edit the loader's form (the Hub URL setting
// is remembered across reloads; the token only when "remember" is ticked), load a model into the cache in
// the worker from the Hub, a base URL, a picked folder or the cache itself, follow each file's progress
// ('model-progress' events) and cancel. Leaves out fetching (worker/models_host.ts) and drawing.
import { getEngine } from '../worker/client';
import type { CachedModel, ModelEvent, ModelLoadResult, ModelLoadSpec } from '../worker/models_protocol';
import { guardCall } from './call_guard';
import type { ModelForm } from './models_slice';
import { forgetToken, rememberedToken, rememberToken } from './models_token';
import { loadChoice, saveChoice } from './saved_choice';
import { useAppStore } from './store';

const HUB_URL_CHOICE = 'hub-url';
const set = useAppStore.setState;
const get = useAppStore.getState;
let loads = 0;
let lists = 0;

/** Sets the cached models from the answer to the newest listing asked for: an older answer that arrives
 * later (a refresh overtaken by a delete) is dropped, not drawn over the newer one. */
async function listed(ask: () => Promise<CachedModel[]>): Promise<void> {
  const mine = ++lists;
  const models = await ask();
  if (mine === lists) set({ cachedModels: models });
}

const guarded = (work: () => Promise<void>) => guardCall({ error: 'modelsError' }, work);

export const refreshModels = () => guarded(() => listed(() => getEngine().cachedModels()));

/** At start: the saved Hub URL, its remembered token (if any), and the cached models. */
export async function initModels(): Promise<void> {
  const hubUrl = loadChoice(HUB_URL_CHOICE) ?? get().modelForm.hubUrl;
  const token = await rememberedToken(hubUrl);
  set((s) => ({ modelForm: { ...s.modelForm, hubUrl, token: token ?? '', rememberToken: token !== null } }));
  await refreshModels();
}

export function setModelForm(patch: Partial<Omit<ModelForm, 'rememberToken'>>): void {
  set((s) => ({ modelForm: { ...s.modelForm, ...patch } }));
  if (patch.hubUrl !== undefined) saveChoice(HUB_URL_CHOICE, patch.hubUrl);
  const { rememberToken: on, hubUrl, token } = get().modelForm;
  if (on && (patch.token !== undefined || patch.hubUrl !== undefined)) void saveToken(hubUrl, token);
}

const saveToken = (hubUrl: string, token: string) => (token ? rememberToken(hubUrl, token) : forgetToken(hubUrl));

/** "Remember the token": saves it for this Hub URL now (and as it is edited); unticked, forgets it. */
export async function setRememberToken(on: boolean): Promise<void> {
  set((s) => ({ modelForm: { ...s.modelForm, rememberToken: on } }));
  const { hubUrl, token } = get().modelForm;
  await (on ? saveToken(hubUrl, token) : forgetToken(hubUrl));
}

function outcome(label: string, r: ModelLoadResult): string {
  const how = r.fetched.length
    ? `fetched ${r.fetched.length} file${r.fetched.length === 1 ? '' : 's'} into the cache`
    : 'every file from the cache';
  return `${label}: ${how}${r.cacheOnly ? ` (${r.cacheOnly})` : ''}. ${r.summary}`;
}

/** Loads a model into the cache; resolves to it as the cache lists it, or null when the load failed (the
 * reason is in `modelsError`) or another load was running. */
async function runLoad(spec: ModelLoadSpec, label: string): Promise<CachedModel | null> {
  if (get().modelLoad) {
    set({ modelsError: 'A model is loading: cancel it or wait for it first' });
    return null;
  }
  const loadId = `load-${++loads}`;
  set({ modelLoad: { loadId, label, files: [] }, modelResult: null, modelMemory: null });
  let loaded: CachedModel | null = null;
  await guarded(async () => {
    try {
      const r = await getEngine().loadModel(loadId, spec);
      loaded = r.model;
      set({ modelResult: outcome(label, r), modelMemory: r.memory });
    } finally {
      set({ modelLoad: null });
      await refreshModels();
    }
  });
  return loaded;
}

export function loadHubModel(): Promise<CachedModel | null> {
  const { hubId, hubUrl, token } = get().modelForm;
  return runLoad({ kind: 'hub', id: hubId, hubUrl, token: token.trim() || undefined }, hubId.trim());
}

export function loadUrlModel(): Promise<CachedModel | null> {
  const { baseUrl } = get().modelForm;
  return runLoad({ kind: 'url', base: baseUrl }, baseUrl.trim());
}

/** A picked folder: each file with its path inside the folder. */
export function loadFolderModel(name: string, files: { path: string; file: File }[]): Promise<CachedModel | null> {
  if (files.length === 0) {
    set({ modelsError: `The folder ${name} holds no files` });
    return Promise.resolve(null);
  }
  return runLoad({ kind: 'folder', name, files }, `folder ${name}`);
}

/** Loads a listed model again: a Hub model by the ref it was loaded with (so an update of main is fetched,
 * and offline the cached snapshot opens), a URL from its base, a folder from the cache as it is. */
export function loadCachedModel(m: CachedModel): Promise<CachedModel | null> {
  const { hubUrl, token } = get().modelForm;
  if (m.kind === 'hub') {
    const id = `${m.repo}@${m.refs[0] ?? m.revision}`;
    return runLoad({ kind: 'hub', id, hubUrl, token: token.trim() || undefined }, id);
  }
  if (m.kind === 'url') return runLoad({ kind: 'url', base: m.repo }, m.repo);
  return runLoad({ kind: 'cached', id: m.id }, `folder ${m.repo}`);
}

export function cancelModelLoad(): void {
  const load = get().modelLoad;
  if (load) getEngine().cancelModelLoad(load.loadId);
}

export const deleteCachedModel = (id: string) => guarded(() => listed(() => getEngine().deleteCachedModel(id)));

/** A file's progress from the worker, into the load it belongs to. */
export function applyModelEvent(e: ModelEvent): void {
  set((s) => {
    const load = s.modelLoad;
    if (!load || load.loadId !== e.loadId) return {};
    const i = load.files.findIndex((f) => f.path === e.file.path);
    const files = i < 0 ? [...load.files, e.file] : load.files.map((f, k) => (k === i ? e.file : f));
    return { modelLoad: { ...load, files } };
  });
}

// The Models section's state (Runs & checkpoints page): the cached models, the loader's form (where a model
// comes from; the access token is held here in memory and saved only when "remember" is ticked, by
// models_token.ts), the load in progress with each file's progress, and the last outcome. Plain data; the
// actions are in models_actions.ts.
import type { StateCreator } from 'zustand';
import { DEFAULT_HUB_URL } from '../engine/hf/model_ref';
import type { CachedModel, FileProgress, ModelLoadResult } from '../worker/models_protocol';
import type { AppState } from './store';

export type ModelOrigin = 'hub' | 'url' | 'folder';

export interface ModelForm {
  origin: ModelOrigin;
  hubId: string; // owner/name[@revision]
  hubUrl: string; // the Hub or a mirror
  token: string; // for gated models; memory only unless rememberToken
  rememberToken: boolean;
  baseUrl: string;
}

export interface ModelLoadView {
  loadId: string;
  label: string;
  files: FileProgress[]; // in the order the load reported them (config.json first)
}

export interface ModelsSlice {
  cachedModels: CachedModel[];
  modelForm: ModelForm;
  modelLoad: ModelLoadView | null; // the load in progress
  modelResult: string | null; // what the last load did
  modelMemory: ModelLoadResult['memory'] | null; // the last loaded model's memory plan
  modelsError: string | null;
}

export const modelsInitial: ModelsSlice = {
  cachedModels: [],
  modelForm: { origin: 'hub', hubId: '', hubUrl: DEFAULT_HUB_URL, token: '', rememberToken: false, baseUrl: '' },
  modelLoad: null,
  modelResult: null,
  modelMemory: null,
  modelsError: null,
};

export const createModelsSlice: StateCreator<AppState, [], [], ModelsSlice> = () => ({ ...modelsInitial });

// The Models section's actions against the real models host (a Node cache folder for the browser's) and the
// stand-in Hub: a load fills each file's progress in the store and ends with what it did and its memory
// plan; a gated model
// without a token gets the Hub's ask for one; the token is kept in memory only, saved (IndexedDB, per Hub
// URL) only while "remember" is ticked, never in localStorage; the Hub URL setting survives a reload; a
// listed model loads again from the cache with the server stopped; delete empties the list.
import 'fake-indexeddb/auto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createModelCache } from '../engine/hf/cache';
import { nodeCacheStore } from '../engine/hf/cache_store_node';
import { startTestHub, type TestHub } from '../engine/hf/test_hub_server';
import { testModelFiles } from '../engine/hf/test_model_files';
import type { FileProgress } from '../worker/models_protocol';

const shared = vi.hoisted(() => ({ dir: '', api: null as unknown, seen: [] as FileProgress[] }));
vi.mock('../worker/client', () => ({ getEngine: () => shared.api }));
const saved = new Map<string, string>();
vi.stubGlobal('localStorage', {
  getItem: (k: string) => saved.get(k) ?? null,
  setItem: (k: string, v: string) => saved.set(k, v),
  removeItem: (k: string) => saved.delete(k),
});

const { createModelsHost } = await import('../worker/models_host');
const actions = await import('./models_actions');
const { rememberedToken } = await import('./models_token');
const { resetStore, useAppStore } = await import('./store');
const get = useAppStore.getState;

const TOKEN = 'hf_rememberMe42';
let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
  hub.commit('test-org/tiny-model', testModelFiles());
  hub.commit('gated-org/gated-model', testModelFiles(), { gatedTokens: [TOKEN] });
  shared.dir = await mkdtemp(join(tmpdir(), 'rl-actions-'));
  shared.api = createModelsHost(
    (e) => {
      if (e.kind !== 'model-progress') return;
      actions.applyModelEvent(e);
      const load = get().modelLoad; // what the page would draw at this moment
      if (load) shared.seen.push(...load.files.filter((f) => f.path === e.file.path));
    },
    async () => createModelCache(nodeCacheStore(shared.dir)),
  );
});
afterAll(async () => {
  await hub.stop();
  await rm(shared.dir, { recursive: true, force: true });
});

describe('models actions', () => {
  it('loads a Hub model with per-file progress in the store, then lists it', async () => {
    resetStore();
    actions.setModelForm({ hubId: 'test-org/tiny-model', hubUrl: hub.url });
    await actions.loadHubModel();
    expect(get().modelsError).toBeNull();
    expect(get().modelLoad).toBeNull();
    expect(get().modelResult).toMatch(
      /^test-org\/tiny-model: fetched 5 files into the cache\. llama · 2 layers · hidden 48/,
    );
    expect(shared.seen.some((f) => f.path === 'model.safetensors' && f.state === 'done')).toBe(true);
    expect(shared.seen[0].path).toBe('config.json');
    expect(get().modelMemory?.plan).toMatchObject({ context: 1024, problems: [] });
    expect(get().cachedModels.map((m) => m.repo)).toEqual(['test-org/tiny-model']);
  });

  it('asks for a token for a gated model; keeps it in memory only until "remember" is ticked', async () => {
    resetStore();
    actions.setModelForm({ hubId: 'gated-org/gated-model', hubUrl: hub.url });
    await actions.loadHubModel();
    expect(get().modelsError).toMatch(/gated-org\/gated-model@main: HTTP 401.*needs an access token/);
    actions.setModelForm({ token: TOKEN });
    await actions.loadHubModel();
    expect(get().modelsError).toBeNull();
    expect(await rememberedToken(hub.url)).toBeNull(); // not ticked: nothing saved
    await actions.setRememberToken(true);
    expect(await rememberedToken(hub.url)).toBe(TOKEN);
    expect([...saved.values()].some((v) => v.includes(TOKEN))).toBe(false); // never in localStorage
    expect(JSON.stringify(get().cachedModels)).not.toContain(TOKEN);

    resetStore(); // a reload: the Hub URL setting and the remembered token come back
    await actions.initModels();
    expect(get().modelForm).toMatchObject({ hubUrl: hub.url, token: TOKEN, rememberToken: true });
    await actions.setRememberToken(false);
    expect(await rememberedToken(hub.url)).toBeNull();
  });

  it('loads a listed model from the cache with the server stopped, and deletes it', async () => {
    resetStore();
    actions.setModelForm({ hubUrl: hub.url, token: '' });
    await actions.refreshModels();
    const model = get().cachedModels.find((m) => m.repo === 'test-org/tiny-model')!;
    await hub.stop();
    await actions.loadCachedModel(model);
    expect(get().modelsError).toBeNull();
    expect(get().modelResult).toMatch(/every file from the cache \(.*could not reach the server/);
    await actions.deleteCachedModel(model.id);
    expect(get().cachedModels.some((m) => m.id === model.id)).toBe(false);
  });
});

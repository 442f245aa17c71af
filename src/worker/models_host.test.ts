// The worker's model cache host against the stand-in Hub, with a Node cache folder standing in for the
// browser's: a load streams each file's progress under its load id and ends with a summary that proves the
// files open; a picked folder and a cached snapshot load too; a cancel stops the load (listed as partial);
// delete empties the list, and two deletes asked at once answer in order, the later listing neither; a bad id
// is refused before anything is fetched; a model the adapter's limits cannot hold is refused with the plan's
// numbers before its weights are fetched, and a load hands its plan out.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelCache } from '../engine/hf/cache';
import type { CacheStore } from '../engine/hf/cache_store';
import { nodeCacheStore } from '../engine/hf/cache_store_node';
import { startTestHub, type TestHub } from '../engine/hf/test_hub_server';
import { TEST_VARIANT, testModelFiles } from '../engine/hf/test_model_files';
import { tinyCheckpoint } from '../engine/hf/tiny_checkpoint';
import { type MemoryLimits, PLAN_CONTEXT } from '../engine/memory';
import { createModelsHost } from './models_host';
import type { ModelEvent } from './models_protocol';
import type { WorkerEvent } from './protocol';

const files = testModelFiles();
let hub: TestHub;
let dir: string;
beforeAll(async () => {
  hub = await startTestHub();
  hub.commit('test-org/tiny-model', files);
  dir = await mkdtemp(join(tmpdir(), 'rl-host-'));
});
afterAll(async () => {
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

function host(limits: MemoryLimits | null = null, store: CacheStore = nodeCacheStore(dir)) {
  const events: ModelEvent[] = [];
  const emit = (e: WorkerEvent) => e.kind === 'model-progress' && events.push(e);
  const openCache = async () => createModelCache(store);
  return { events, models: createModelsHost(emit, openCache, async () => limits) };
}

describe('createModelsHost', () => {
  it('loads from the Hub with progress events, then lists, opens from the cache and deletes', async () => {
    const { events, models } = host();
    const result = await models.loadModel('l1', { kind: 'hub', id: 'test-org/tiny-model', hubUrl: hub.url });
    expect(result.fetched).toContain('model.safetensors');
    // what the files say, counted here from the checkpoint as written
    const { tensors } = tinyCheckpoint(TEST_VARIANT);
    const params = Object.values(tensors).reduce((n, t) => n + t.data.length, 0);
    const counted = `${Object.keys(tensors).length} tensors, ${params.toLocaleString('en-US')} parameters`;
    expect(result.summary).toBe(`llama · 2 layers · hidden 48 · 559 tokens · ${counted}`);
    expect(events.every((e) => e.loadId === 'l1')).toBe(true);
    const last = events.filter((e) => e.file.path === 'model.safetensors').at(-1)!.file;
    expect(last).toMatchObject({ state: 'done', received: files['model.safetensors'].length });

    const [listed] = await models.cachedModels();
    expect(listed.id).toBe(result.model.id);
    expect(result.memory.limits).toBeNull(); // no adapter in this process: planned, nothing refused for it
    expect(result.memory.plan).toMatchObject({ params, problems: [], context: 1024 });
    const cached = await models.loadModel('l2', { kind: 'cached', id: listed.id });
    expect(cached).toMatchObject({ fetched: [], model: { id: listed.id } });
    expect(cached.memory.plan.params).toBe(params);
    expect(await models.deleteCachedModel(listed.id)).toEqual([]);
    await expect(models.loadModel('l3', { kind: 'cached', id: listed.id })).rejects.toThrow(/No cached model/);
  });

  it('copies a picked folder in, and refuses a malformed id before fetching', async () => {
    const { models } = host();
    const picked = Object.entries(files).map(([path, bytes]) => ({ path, file: new Blob([bytes as BlobPart]) }));
    const result = await models.loadModel('f1', { kind: 'folder', name: 'mine', files: picked });
    expect(result.model).toMatchObject({ kind: 'folder', repo: 'mine', missing: [] });
    const seen = hub.requests.length;
    await expect(models.loadModel('x', { kind: 'hub', id: 'no-owner', hubUrl: hub.url })).rejects.toThrow(
      /Model id "no-owner": no owner/,
    );
    expect(hub.requests.length).toBe(seen);
  });

  it("refuses before any weights a model whose rows pass the adapter's binding limit, with the numbers", async () => {
    const { models } = host({ maxBufferSize: 1024, maxStorageBufferBindingSize: 128 });
    const seen = hub.requests.length;
    await expect(models.loadModel('m1', { kind: 'hub', id: 'test-org/tiny-model', hubUrl: hub.url })).rejects.toThrow(
      'model.embed_tokens.weight: one row of 192 B is past maxStorageBufferBindingSize 128 B',
    );
    const paths = hub.requests.slice(seen).map((r) => r.path);
    expect(paths.some((p) => p.endsWith('config.json'))).toBe(true);
    expect(paths.filter((p) => p.endsWith('.safetensors') || p.startsWith('/cdn/'))).toEqual([]);
    expect(PLAN_CONTEXT.promptTokens + PLAN_CONTEXT.maxNewTokens).toBe(1024);
  });

  it('runs two deletes asked at once in turn: the later answer lists neither model', async () => {
    // the first removal is slow, so without turns the second delete lists the cache before it is done
    const store = nodeCacheStore(await mkdtemp(join(tmpdir(), 'rl-host-del-')));
    let slow = true;
    const slowStore: CacheStore = {
      ...store,
      async remove(path) {
        if (slow) {
          slow = false;
          await new Promise((r) => setTimeout(r, 200));
        }
        return store.remove(path);
      },
    };
    const { models } = host(null, slowStore);
    await models.loadModel('d1', { kind: 'hub', id: 'test-org/tiny-model', hubUrl: hub.url });
    const picked = Object.entries(files).map(([path, bytes]) => ({ path, file: new Blob([bytes as BlobPart]) }));
    await models.loadModel('d2', { kind: 'folder', name: 'mine', files: picked });
    const [a, b] = await models.cachedModels();
    const answered: string[] = [];
    const deleting = async (id: string) => {
      const list = await models.deleteCachedModel(id);
      answered.push(id);
      return list;
    };
    const first = deleting(a.id);
    const second = deleting(b.id);
    expect((await first).map((m) => m.id)).toEqual([b.id]);
    expect(await second).toEqual([]);
    expect(answered).toEqual([a.id, b.id]);
  });

  it('cancels a load: it stops with "cancelled", listed as partly downloaded', async () => {
    const { models } = host();
    const loading = models.loadModel('c1', { kind: 'url', base: `${hub.url}/test-org/tiny-model/resolve/main` });
    models.cancelModelLoad('c1');
    await expect(loading).rejects.toThrow('cancelled');
    const [partial] = (await models.cachedModels()).filter((m) => m.kind === 'url');
    expect(partial.missing.length).toBeGreaterThan(0);
  });
});

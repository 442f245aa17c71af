// The worker's model cache host: loads models into the cache (the origin private file system in the
// browser) one at a time, streams each file's progress as 'model-progress' events, cancels, lists and
// deletes, and opens a cached model's files for the judge host. No fetching logic here
// (engine/hf/fetch_model.ts). The token of a request is passed on to that load and dropped with it.
import { type CacheKey, createModelCache, type ModelCache } from '../engine/hf/cache';
import { opfsCacheStore } from '../engine/hf/cache_store_opfs';
import { type LoadedModel, loadModel, type ModelRequest } from '../engine/hf/fetch_model';
import { normalizeHubUrl, parseHubId } from '../engine/hf/model_ref';
import { summarizeModel } from '../engine/hf/model_summary';
import { blobSource } from '../engine/hf/source';
import { normalizeBaseUrl } from '../engine/hf/url_source';
import type { ModelSource } from '../engine/hf/source';
import type { ModelLoadSpec, ModelsApi } from './models_protocol';
import type { EventSink } from './protocol';

/** The browser's cache: a folder of the origin private file system. */
export const browserModelCache = async () => createModelCache(await opfsCacheStore('models'));

function toRequest(spec: Exclude<ModelLoadSpec, { kind: 'cached' }>): ModelRequest {
  if (spec.kind === 'hub')
    return {
      kind: 'hub',
      ref: parseHubId(spec.id),
      hubUrl: normalizeHubUrl(spec.hubUrl),
      token: spec.token || undefined,
    };
  if (spec.kind === 'url') return { kind: 'url', base: normalizeBaseUrl(spec.base) };
  const name = spec.name.trim() || 'folder';
  return {
    kind: 'folder',
    name,
    source: blobSource(
      name,
      spec.files.map((f) => ({ path: f.path, blob: f.file })),
    ),
  };
}

const sameKey = (a: CacheKey, b: CacheKey) => a.kind === b.kind && a.repo === b.repo && a.revision === b.revision;

export interface ModelsHost extends ModelsApi {
  /** A cached model's files as they are, asking nothing of the network (the judge host reads them). */
  openCached(id: string): Promise<ModelSource>;
}

export function createModelsHost(
  emit: EventSink,
  openCache: () => Promise<ModelCache> = browserModelCache,
): ModelsHost {
  let cache: Promise<ModelCache> | null = null;
  const theCache = () => {
    cache ??= openCache();
    cache.catch(() => (cache = null)); // a failure to open is said once per call, not kept
    return cache;
  };
  const running = new Map<string, AbortController>();
  let queue: Promise<unknown> = Promise.resolve();

  async function openCached(c: ModelCache, id: string): Promise<LoadedModel> {
    const m = (await c.list()).find((x) => x.id === id);
    if (!m) throw new Error(`No cached model "${id}" (deleted?)`);
    const name = m.kind === 'hub' ? `${m.repo}@${m.revision.slice(0, 7)}` : m.repo;
    return { source: await c.source(m, name), manifest: m, fetched: [] };
  }

  async function load(loadId: string, spec: ModelLoadSpec, signal: AbortSignal) {
    const c = await theCache();
    const loaded =
      spec.kind === 'cached'
        ? await openCached(c, spec.id)
        : await loadModel(toRequest(spec), c, {
            signal,
            onProgress: (file) => emit({ kind: 'model-progress', loadId, file }),
          });
    const summary = (await summarizeModel(loaded.source)).line;
    const model = (await c.list()).find((m) => sameKey(m, loaded.manifest));
    if (!model) throw new Error(`${loaded.source.name}: loaded, but the cache does not list it`);
    return { model, fetched: loaded.fetched, cacheOnly: loaded.cacheOnly, summary };
  }

  return {
    openCached: async (id) => (await openCached(await theCache(), id)).source,
    async cachedModels() {
      return (await theCache()).list();
    },
    loadModel(loadId, spec) {
      const ctl = new AbortController();
      running.set(loadId, ctl);
      const work = () => load(loadId, spec, ctl.signal).finally(() => running.delete(loadId));
      // one load at a time: two loads of one model would write the same partial files
      const result = queue.then(work, work);
      queue = result.catch(() => undefined);
      return result;
    },
    cancelModelLoad(loadId) {
      running.get(loadId)?.abort();
    },
    async deleteCachedModel(id) {
      const c = await theCache();
      await c.remove(id);
      return c.list();
    },
  };
}

// The worker's model cache host: loads models into the cache (the origin private file system in the
// browser) and deletes them one at a time, streams each file's progress as 'model-progress' events, cancels, lists and
// deletes, opens a cached model's files for the judge and run hosts, and measures a run's lengths through a
// cached model's tokenizer and chat template (for the Train page's memory plan). No fetching logic here
// (engine/hf/fetch_model.ts). The token of a request is passed on to that load and dropped with it. Each load
// is planned against this context's WebGPU adapter (engine/memory.ts) before its weights are fetched, and
// refused there when it cannot fit.
import { describeAdapter } from '../engine/backend';
import { type CacheKey, createModelCache, type ModelCache } from '../engine/hf/cache';
import { opfsCacheStore } from '../engine/hf/cache_store_opfs';
import { type LoadedModel, loadModel, type ModelRequest } from '../engine/hf/fetch_model';
import { normalizeHubUrl, parseHubId } from '../engine/hf/model_ref';
import { memoryGuard } from '../engine/hf/memory_guard';
import { summarizeModel } from '../engine/hf/model_summary';
import { blobSource, readConfig } from '../engine/hf/source';
import { normalizeBaseUrl } from '../engine/hf/url_source';
import type { ModelSource } from '../engine/hf/source';
import { type MemoryLimits, type MemoryPlan, PLAN_CONTEXT, planMemory } from '../engine/memory';
import { loadTokenizer, TOKENIZER_FILES } from '../engine/hf/tokenizer';
import { runShapes } from '../train/run_estimate';
import { INFER_WEIGHTS } from '../train/run_config';
import type { ModelLoadSpec, ModelsApi } from './models_protocol';
import type { EventSink } from './protocol';

/** This context's adapter limits, or null without WebGPU (then nothing is refused for the GPU's sake). */
export async function adapterLimits(): Promise<MemoryLimits | null> {
  const a = await describeAdapter();
  if (typeof a === 'string') return null;
  return { maxBufferSize: a.limits.maxBufferSize, maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize };
}

const UNLIMITED: MemoryLimits = { maxBufferSize: Infinity, maxStorageBufferBindingSize: Infinity };

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
  limitsOf: () => Promise<MemoryLimits | null> = adapterLimits,
): ModelsHost {
  let cache: Promise<ModelCache> | null = null;
  const theCache = () => {
    cache ??= openCache();
    cache.catch(() => (cache = null)); // a failure to open is said once per call, not kept
    return cache;
  };
  const running = new Map<string, AbortController>();
  let queue: Promise<unknown> = Promise.resolve();
  // loads and deletes one at a time, in the order asked: two loads of one model would write the same partial
  // files, and two deletes at once could each list the cache before the other's removal, answering stale
  const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
    const result = queue.then(work, work);
    queue = result.catch(() => undefined);
    return result;
  };

  async function openCached(c: ModelCache, id: string): Promise<LoadedModel> {
    const m = (await c.list()).find((x) => x.id === id);
    if (!m) throw new Error(`No cached model "${id}" (deleted?)`);
    const name = m.kind === 'hub' ? `${m.repo}@${m.revision.slice(0, 7)}` : m.repo;
    return { source: await c.source(m, name), manifest: m, fetched: [] };
  }

  async function load(loadId: string, spec: ModelLoadSpec, signal: AbortSignal) {
    const c = await theCache();
    const limits = await limitsOf();
    // a model judges on WebGPU with its matrices in half precision (judge_host.ts), elsewhere in f32
    const request = limits ? { ...PLAN_CONTEXT, weights: INFER_WEIGHTS } : PLAN_CONTEXT;
    let plan: MemoryPlan | null = null;
    const loaded =
      spec.kind === 'cached'
        ? await openCached(c, spec.id)
        : await loadModel(toRequest(spec), c, {
            signal,
            onProgress: (file) => emit({ kind: 'model-progress', loadId, file }),
            beforeWeights: memoryGuard(limits ?? UNLIMITED, request, (p) => (plan = p)),
          });
    const summary = (await summarizeModel(loaded.source)).line;
    const model = (await c.list()).find((m) => sameKey(m, loaded.manifest));
    if (!model) throw new Error(`${loaded.source.name}: loaded, but the cache does not list it`);
    // a snapshot opened from the cache alone was not planned on the way in
    plan ??= planMemory(await readConfig(loaded.source), request, limits ?? UNLIMITED);
    return { model, fetched: loaded.fetched, cacheOnly: loaded.cacheOnly, summary, memory: { plan, limits } };
  }

  return {
    openCached: async (id) => (await openCached(await theCache(), id)).source,
    async cachedModelShapes(id, run) {
      const loaded = await openCached(await theCache(), id);
      const tokenizerFiles: Record<string, Uint8Array> = {};
      for (const name of TOKENIZER_FILES) {
        const bytes = await loaded.source.read(name);
        if (bytes) tokenizerFiles[name] = bytes;
      }
      const cfg = await readConfig(loaded.source);
      return { config: cfg, shapes: runShapes(run, { cfg, tok: loadTokenizer(tokenizerFiles) }) };
    },
    async cachedModels() {
      return (await theCache()).list();
    },
    loadModel(loadId, spec) {
      const ctl = new AbortController();
      running.set(loadId, ctl);
      return inTurn(() => load(loadId, spec, ctl.signal).finally(() => running.delete(loadId)));
    },
    cancelModelLoad(loadId) {
      running.get(loadId)?.abort();
    },
    deleteCachedModel(id) {
      return inTurn(async () => {
        const c = await theCache();
        await c.remove(id);
        return c.list();
      });
    },
  };
}

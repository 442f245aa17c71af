// Loading a model into the cache and opening it from there: from the Hub (the revision resolved to a commit),
// a plain base URL, or a folder the user picked (copied in, so it is there after a reload). Files already
// complete in the cache are not fetched again; config.json comes first and `beforeWeights` sees it with
// every file's size before any weights are fetched (the memory plan refuses there). When the Hub or the
// URL cannot be reached, the snapshot the cache last resolved for that name is opened instead.
import type { CacheKey, CacheManifest, ModelCache, SourceKind } from './cache';
import { type DownloadOptions, type DownloadSink, downloadFile } from './download';
import { cancelled, isUnreachable, ModelFetchError } from './fetch_errors';
import { openHubModel, type RemoteModel } from './hub';
import { type HubRef, hubRefLabel, isCommitSha } from './model_ref';
import { CONFIG_FILE, type ModelSource, selectModelFiles, type SourceFile } from './source';
import { openUrlModel } from './url_source';

export type ModelRequest =
  | { kind: 'hub'; ref: HubRef; hubUrl: string; token?: string }
  | { kind: 'url'; base: string }
  /** A folder's files (a picker's File objects, a Node directory): copied into the cache under `name`. */
  | { kind: 'folder'; name: string; source: ModelSource };

export interface LoadOptions extends DownloadOptions {
  /** Sees config.json and every file's size before any weights are fetched, and can read the files fetched before
   * them (the tokenizer's; null when absent); throws to refuse the model. */
  beforeWeights?: (
    config: Record<string, unknown>,
    files: readonly SourceFile[],
    read: (path: string) => Promise<Uint8Array | null>,
  ) => void | Promise<void>;
}

export interface LoadedModel {
  source: ModelSource;
  manifest: CacheManifest;
  fetched: string[]; // files fetched this time (the rest were in the cache)
  /** Set when the origin was not asked or could not be reached and the cache alone answered: why. */
  cacheOnly?: string;
}

/** Where a model's files come from, one file at a time into a cache sink. */
interface Origin {
  key: CacheKey;
  refs: string[];
  name: string;
  files: SourceFile[];
  copy(file: SourceFile, sink: DownloadSink, opts: DownloadOptions): Promise<void>;
}

const remoteOrigin = (m: RemoteModel): Origin => ({
  ...m,
  copy: (file, sink, opts) => downloadFile(m.target(file), sink, opts),
});

/** Copy bytes this large at a time from a local file: a multi-gigabyte shard never sits in memory whole. */
const COPY_CHUNK = 8 << 20;

function folderOrigin(name: string, source: ModelSource): Origin {
  return {
    key: { kind: 'folder', repo: name, revision: 'local' },
    refs: [],
    name: `folder ${name}`,
    files: selectModelFiles(source.files, `folder ${name}`),
    async copy(file, sink, opts) {
      await sink.begin(null, true);
      try {
        for (let at = 0; at < file.size; at += COPY_CHUNK) {
          if (opts.signal?.aborted) throw cancelled();
          await sink.write(await source.readRange(file.path, at, Math.min(file.size, at + COPY_CHUNK)));
          opts.onProgress?.({
            path: file.path,
            state: 'downloading',
            received: sink.received(),
            total: file.size,
            rate: 0,
            eta: null,
          });
        }
      } finally {
        await sink.pause();
      }
      await sink.finish();
      opts.onProgress?.({ path: file.path, state: 'done', received: file.size, total: file.size, rate: 0, eta: 0 });
    },
  };
}

const isWeights = (f: SourceFile) => f.path.endsWith('.safetensors');
const parseConfig = (bytes: Uint8Array, name: string): Record<string, unknown> => {
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // said below
  }
  throw new Error(`${name}: ${CONFIG_FILE} is not a JSON object`);
};

/** Fetches the origin's missing files into the cache (config first, weights last) and opens the snapshot. */
async function cacheModel(origin: Origin, cache: ModelCache, opts: LoadOptions): Promise<LoadedModel> {
  const { key, files } = origin;
  const before = await cache.manifest(key);
  await cache.saveManifest({ ...key, refs: [], files });
  const fetched: string[] = [];
  const idle = (f: SourceFile) => ({ path: f.path, received: 0, total: f.size, rate: 0, eta: null });
  for (const f of files) opts.onProgress?.({ ...idle(f), state: 'waiting' });
  let checked = false;
  for (const file of files) {
    if (isWeights(file) && !checked) {
      checked = true;
      try {
        const read = (path: string) => cache.readFile(key, path).catch(() => null);
        await opts.beforeWeights?.(parseConfig(await cache.readFile(key, CONFIG_FILE), origin.name), files, read);
      } catch (e) {
        if (!before) await cache.removeSnapshot(key); // a refused model leaves nothing behind
        throw e;
      }
    }
    const old = before?.files.find((f) => f.path === file.path);
    if (old && (old.size !== file.size || old.etag !== file.etag)) await cache.discard(key, file.path);
    else if (await cache.isComplete(key, file)) {
      opts.onProgress?.({ ...idle(file), received: file.size, eta: 0, state: 'cached' });
      continue;
    }
    await origin.copy(file, await cache.partial(key, file), opts);
    fetched.push(file.path);
  }
  // refs move only once the snapshot is whole, so an offline load never finds half a model
  for (const ref of origin.refs) await cache.setRef(key.kind, key.repo, ref, key.revision);
  const manifest = await cache.saveManifest({ ...key, refs: origin.refs, files });
  return { source: await cache.source(key, origin.name), manifest, fetched };
}

/** The snapshot the cache holds for `revision` (a commit, or a ref it resolved when last online), whole. */
async function cachedSnapshot(
  cache: ModelCache,
  kind: SourceKind,
  repo: string,
  revision: string,
  name: string,
): Promise<{ source: ModelSource; manifest: CacheManifest } | null> {
  const resolved = kind === 'hub' && !isCommitSha(revision) ? await cache.ref(kind, repo, revision) : revision;
  if (!resolved) return null;
  const key = { kind, repo, revision: resolved };
  const manifest = await cache.manifest(key);
  if (!manifest) return null;
  try {
    return { source: await cache.source(key, name), manifest };
  } catch {
    return null; // partly downloaded: not loadable offline
  }
}

/** Opens the origin (online) or, when it cannot be reached, the cache's last whole snapshot for the name. */
async function openOrCached(
  open: () => Promise<RemoteModel>,
  cache: ModelCache,
  kind: SourceKind,
  repo: string,
  revision: string,
  name: string,
  opts: LoadOptions,
): Promise<LoadedModel> {
  let remote: RemoteModel;
  try {
    remote = await open();
  } catch (e) {
    if (!isUnreachable(e)) throw e;
    const hit = await cachedSnapshot(cache, kind, repo, revision, name);
    if (!hit)
      throw new ModelFetchError(`${(e as Error).message}; and it is not in the cache`, (e as ModelFetchError).problem);
    return { ...hit, fetched: [], cacheOnly: (e as Error).message };
  }
  return cacheModel(remoteOrigin(remote), cache, opts);
}

/** Loads the model into the cache (fetching what is missing) and opens it from there. */
export async function loadModel(req: ModelRequest, cache: ModelCache, opts: LoadOptions = {}): Promise<LoadedModel> {
  if (req.kind === 'folder') {
    const origin = folderOrigin(req.name, req.source);
    await cache.removeSnapshot(origin.key); // the folder as picked now: no file of an earlier pick lingers
    return cacheModel(origin, cache, opts);
  }
  if (req.kind === 'url')
    return openOrCached(() => openUrlModel(req.base, opts), cache, 'url', req.base, 'url', req.base, opts);
  const { ref } = req;
  if (isCommitSha(ref.revision)) {
    // a commit never changes: a whole snapshot needs no network at all
    const hit = await cachedSnapshot(cache, 'hub', ref.repo, ref.revision, hubRefLabel(ref));
    if (hit) return { ...hit, fetched: [], cacheOnly: `commit ${ref.revision} is in the cache` };
  }
  const open = () => openHubModel(ref, { hubUrl: req.hubUrl, token: req.token, fetch: opts.fetch });
  return openOrCached(open, cache, 'hub', ref.repo, ref.revision, hubRefLabel(ref), opts);
}

// The model cache: a model's files kept by source, repository, revision and file, so a second visit loads
// offline. A Hub branch (`main`) is a ref pointing at a commit sha (refs/<ref>), the files sit under that
// sha, so an update of main is a new snapshot and an offline load finds the last one. Layout per model:
//   <model>/refs/<ref>                     the commit sha the ref resolved to
//   <model>/<revision>/manifest.json       what the snapshot holds (repo, revision, refs, files and sizes)
//   <model>/<revision>/files/<path>        complete files only: these alone are ever served
//   <model>/<revision>/partial/<path>      a download in progress (kept for resume), and <path>.json: its
//                                          response's ETag and the expected size
// Keys hold the repo, revision and path only: never a token or a URL's query.
import { type CacheStore, joinPath, walkFiles } from './cache_store';
import type { DownloadSink } from './download';
import { checkRange, type ModelSource, type SourceFile } from './source';

export type SourceKind = 'hub' | 'url' | 'folder';

/** Names one snapshot: for the Hub, `repo` is owner/name and `revision` a commit sha; a base URL is its own
 * repo at revision 'url'; a picked folder is 'folder/<name>' at revision 'local'. */
export interface CacheKey {
  kind: SourceKind;
  repo: string;
  revision: string;
}

export interface CacheManifest extends CacheKey {
  version: 1;
  refs: string[]; // the refs that resolved to this revision (e.g. main)
  files: SourceFile[];
  createdAt: number;
}

export interface CachedModel extends CacheManifest {
  id: string; // the snapshot's folder, for delete
  cachedBytes: number; // on disk, partial downloads included
  totalBytes: number; // of the whole model
  missing: string[]; // files not (yet) complete
}

const hash = (text: string) => {
  let h = 0x811c9dc5; // FNV-1a: a short, stable suffix that keeps two similar URLs apart
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
};
/** A folder name for the model: readable, safe everywhere, unique (Hub names never hold '--'). */
function modelDir(kind: SourceKind, repo: string): string {
  if (kind === 'hub') return `hub--${repo.replace('/', '--')}`;
  const slug = repo.replace(/^[a-z]+:\/\//, '').replace(/[^A-Za-z0-9._-]+/g, '_');
  return `${kind}--${slug.slice(0, 60)}-${hash(repo)}`;
}
const safeName = (name: string) =>
  name === '.' || name === '..' || name === '' ? `_${encodeURIComponent(name)}` : encodeURIComponent(name);
/** A file's path inside the snapshot, each part made safe (a path never climbs out). */
const safePath = (path: string) => path.split('/').map(safeName).join('/');

export interface ModelCache {
  readonly store: CacheStore;
  /** The revision a ref resolved to when last online, or null. */
  ref(kind: SourceKind, repo: string, ref: string): Promise<string | null>;
  setRef(kind: SourceKind, repo: string, ref: string, revision: string): Promise<void>;
  manifest(key: CacheKey): Promise<CacheManifest | null>;
  /** Records the snapshot's files (and adds its refs to the ones already known). */
  saveManifest(m: Omit<CacheManifest, 'version' | 'createdAt'>): Promise<CacheManifest>;
  isComplete(key: CacheKey, file: SourceFile): Promise<boolean>;
  /** A complete file's bytes; throws when it is not complete. */
  readFile(key: CacheKey, path: string): Promise<Uint8Array>;
  /** Drops a complete file (its source changed), so it is fetched again. */
  discard(key: CacheKey, path: string): Promise<void>;
  /** Drops a whole snapshot (refs to it stay until the next resolve). */
  removeSnapshot(key: CacheKey): Promise<void>;
  /** Where a download of `file` writes: what an earlier try left is there to resume. */
  partial(key: CacheKey, file: SourceFile): Promise<DownloadSink>;
  /** The snapshot's complete files as a source; throws naming the files that are missing. */
  source(key: CacheKey, name: string): Promise<ModelSource>;
  list(): Promise<CachedModel[]>;
  remove(id: string): Promise<void>;
}

export function createModelCache(store: CacheStore): ModelCache {
  const snap = (k: CacheKey) => joinPath(modelDir(k.kind, k.repo), safeName(k.revision));
  const refPath = (kind: SourceKind, repo: string, ref: string) =>
    joinPath(modelDir(kind, repo), 'refs', safeName(ref));
  const complete = (k: CacheKey, path: string) => joinPath(snap(k), 'files', safePath(path));
  const partialData = (k: CacheKey, path: string) => joinPath(snap(k), 'partial', safePath(path));

  async function readManifest(path: string): Promise<CacheManifest | null> {
    const text = await store.readText(path);
    if (text === null) return null;
    try {
      return JSON.parse(text) as CacheManifest;
    } catch {
      return null; // a damaged manifest: the snapshot is listed as nothing and downloaded again
    }
  }

  const cache: ModelCache = {
    store,
    async ref(kind, repo, ref) {
      return (await store.readText(refPath(kind, repo, ref)))?.trim() || null;
    },
    async setRef(kind, repo, ref, revision) {
      await store.writeText(refPath(kind, repo, ref), revision);
    },
    manifest: (key) => readManifest(joinPath(snap(key), 'manifest.json')),
    async saveManifest(m) {
      const old = await cache.manifest(m);
      const refs = [...new Set([...(old?.refs ?? []), ...m.refs])];
      const manifest: CacheManifest = { version: 1, ...m, refs, createdAt: old?.createdAt ?? Date.now() };
      await store.writeText(joinPath(snap(m), 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
      return manifest;
    },
    async isComplete(key, file) {
      return (await store.size(complete(key, file.path))) === file.size;
    },
    async readFile(key, path) {
      const size = await store.size(complete(key, path));
      if (size === null) throw new Error(`model cache: ${key.repo}@${key.revision}: ${path} is not complete`);
      return store.read(complete(key, path), 0, size);
    },
    discard: (key, path) => store.remove(complete(key, path)),
    removeSnapshot: (key) => store.remove(snap(key)),
    partial: (key, file) => partialFile(store, partialData(key, file.path), complete(key, file.path), file),
    async source(key, name) {
      const m = await cache.manifest(key);
      if (!m) throw new Error(`${name}: not in the model cache (${store.where})`);
      const missing: string[] = [];
      for (const f of m.files) if (!(await cache.isComplete(key, f))) missing.push(f.path);
      if (missing.length)
        throw new Error(`${name}: the cache lacks ${missing.join(', ')}; load the model again to fetch them`);
      return cachedSource(store, name, m.files, (path) => complete(key, path));
    },
    async list() {
      const out: CachedModel[] = [];
      for (const model of await store.list('')) {
        if (!model.dir) continue;
        for (const rev of await store.list(model.name)) {
          if (!rev.dir || rev.name === 'refs') continue;
          const id = joinPath(model.name, rev.name);
          const m = await readManifest(joinPath(id, 'manifest.json'));
          if (m) out.push(await describeSnapshot(store, id, m, (path) => complete(m, path)));
        }
      }
      return out.sort((a, b) => b.createdAt - a.createdAt);
    },
    async remove(id) {
      // only an id the list gave: an id is a path, and must not name anything else
      if (!(await cache.list()).some((m) => m.id === id)) throw new Error(`No cached model "${id}"`);
      const [model, rev] = id.split('/');
      await store.remove(id);
      // refs that pointed at the removed snapshot would send an offline load to nothing
      for (const r of await store.list(joinPath(model, 'refs'))) {
        const path = joinPath(model, 'refs', r.name);
        if ((await store.readText(path))?.trim() === decodeURIComponent(rev)) await store.remove(path);
      }
      const left = await store.list(model);
      if (left.every((e) => e.name === 'refs')) await store.remove(model);
    },
  };
  return cache;
}

async function describeSnapshot(
  store: CacheStore,
  id: string,
  m: CacheManifest,
  completePath: (path: string) => string,
): Promise<CachedModel> {
  const missing: string[] = [];
  for (const f of m.files) if ((await store.size(completePath(f.path))) !== f.size) missing.push(f.path);
  let cachedBytes = 0;
  for (const rel of await walkFiles(store, id)) cachedBytes += (await store.size(joinPath(id, rel))) ?? 0;
  const totalBytes = m.files.reduce((n, f) => n + f.size, 0);
  return { ...m, id, cachedBytes, totalBytes, missing };
}

function cachedSource(
  store: CacheStore,
  name: string,
  files: SourceFile[],
  path: (file: string) => string,
): ModelSource {
  const sizeOf = (file: string) => files.find((x) => x.path === file)?.size ?? null;
  return {
    name,
    files,
    read: async (file) => {
      const size = sizeOf(file);
      return size === null ? null : store.read(path(file), 0, size);
    },
    readRange: async (file, start, end) => {
      const size = sizeOf(file);
      if (size === null) throw new Error(`${name}: no file ${file} (it has ${files.map((x) => x.path).join(', ')})`);
      checkRange(name, file, size, start, end);
      return store.read(path(file), start, end);
    },
  };
}

/** The sink a download writes to: bytes go to the partial file, its ETag and size to <partial>.json, and only
 * a file with every byte moves to its complete path. */
async function partialFile(store: CacheStore, data: string, done: string, file: SourceFile): Promise<DownloadSink> {
  const metaPath = `${data}.json`;
  const meta = JSON.parse((await store.readText(metaPath)) ?? 'null') as { etag: string | null; size: number } | null;
  const held = await store.size(data);
  // bytes without their ETag, or kept for a file of another size, cannot be resumed safely
  const usable = meta !== null && held !== null && meta.size === file.size && held <= file.size;
  let received = usable ? held : 0;
  let etag = usable ? meta.etag : null;
  let out: Awaited<ReturnType<CacheStore['append']>> | null = null;
  const close = async () => {
    await out?.close();
    out = null;
  };
  return {
    received: () => received,
    etag: () => etag,
    async begin(newEtag, fromStart) {
      await close();
      if (fromStart) received = 0;
      etag = newEtag;
      await store.writeText(metaPath, JSON.stringify({ etag, size: file.size }));
      out = await store.append(data, fromStart);
    },
    async write(chunk) {
      await out!.write(chunk);
      received += chunk.length;
    },
    pause: close,
    async finish() {
      await close();
      const size = await store.size(data);
      if (size !== file.size) throw new Error(`${file.path}: ${size} bytes downloaded, expected ${file.size}`);
      await store.move(data, done);
      await store.remove(metaPath);
    },
  };
}

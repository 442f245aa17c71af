// The model cache's files in the browser's origin private file system (OPFS). Chosen over Cache Storage
// because a download grows in place: each chunk is appended to the partial file as it arrives (a sync access
// handle in the worker: no copy of what is already there), so a dropped connection, a cancel or a closed tab
// keeps every byte written; and a range of a multi-gigabyte shard is read by slicing the File, never the
// whole file. Cache Storage holds whole responses only. Works in a dedicated worker (where downloads run)
// and, more slowly, on the page (no sync handles there: each append copies the file once).
import type { Appender, CacheStore } from './cache_store';

type Dir = FileSystemDirectoryHandle;

const notFound = (e: unknown) => (e as DOMException).name === 'NotFoundError';

/** The folder at `path` (created along the way with `create`), or null when a part is missing. */
async function dirAt(root: Dir, path: string, create: boolean): Promise<Dir | null> {
  let dir = root;
  for (const name of path.split('/').filter(Boolean)) {
    try {
      dir = await dir.getDirectoryHandle(name, { create });
    } catch (e) {
      if (notFound(e)) return null;
      throw e;
    }
  }
  return dir;
}

const split = (path: string) => {
  const i = path.lastIndexOf('/');
  return { dir: path.slice(0, Math.max(0, i)), name: path.slice(i + 1) };
};

async function fileAt(root: Dir, path: string, create: boolean): Promise<FileSystemFileHandle | null> {
  const { dir, name } = split(path);
  const parent = await dirAt(root, dir, create);
  if (!parent) return null;
  try {
    return await parent.getFileHandle(name, { create });
  } catch (e) {
    if (notFound(e)) return null;
    throw e;
  }
}

async function syncAppender(handle: FileSystemFileHandle, truncate: boolean): Promise<Appender> {
  const access = await handle.createSyncAccessHandle();
  if (truncate) access.truncate(0);
  let at = access.getSize();
  return {
    write: async (chunk) => {
      at += access.write(chunk, { at });
    },
    close: async () => {
      access.flush();
      access.close();
    },
  };
}

async function streamAppender(handle: FileSystemFileHandle, truncate: boolean): Promise<Appender> {
  const size = truncate ? 0 : (await handle.getFile()).size;
  const stream = await handle.createWritable({ keepExistingData: !truncate });
  await stream.seek(size);
  return { write: (chunk) => stream.write(chunk as Uint8Array<ArrayBuffer>), close: () => stream.close() };
}

const inWorker = () => typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';

export async function opfsCacheStore(folder: string): Promise<CacheStore> {
  if (!navigator.storage?.getDirectory)
    throw new Error('This browser has no origin private file system, so models cannot be cached here');
  const root = (await dirAt(await navigator.storage.getDirectory(), folder, true))!;
  const file = async (path: string) => {
    const handle = await fileAt(root, path, false);
    if (!handle) throw new Error(`model cache: ${path} is not there`);
    return handle;
  };
  const store: CacheStore = {
    where: "the browser's private storage for this site",
    async readText(path) {
      const handle = await fileAt(root, path, false);
      return handle ? (await handle.getFile()).text() : null;
    },
    async writeText(path, text) {
      const stream = await (await fileAt(root, path, true))!.createWritable();
      await stream.write(text);
      await stream.close(); // the new text replaces the old only here
    },
    async size(path) {
      const handle = await fileAt(root, path, false);
      return handle ? (await handle.getFile()).size : null;
    },
    async read(path, start, end) {
      const blob = (await (await file(path)).getFile()).slice(start, end);
      return new Uint8Array(await blob.arrayBuffer());
    },
    async append(path, truncate) {
      const handle = (await fileAt(root, path, true))!;
      return inWorker() && 'createSyncAccessHandle' in handle
        ? syncAppender(handle, truncate)
        : streamAppender(handle, truncate);
    },
    async move(from, to) {
      const target = split(to);
      await store.remove(to);
      const handle = (await file(from)) as FileSystemFileHandle & { move(dir: Dir, name: string): Promise<void> };
      await handle.move((await dirAt(root, target.dir, true))!, target.name);
    },
    async list(path) {
      const dir = await dirAt(root, path, false);
      if (!dir) return [];
      const out: { name: string; dir: boolean }[] = [];
      for await (const [name, h] of dir as unknown as AsyncIterable<[string, FileSystemHandle]>)
        out.push({ name, dir: h.kind === 'directory' });
      return out;
    },
    async remove(path) {
      const { dir, name } = split(path);
      const parent = await dirAt(root, dir, false);
      try {
        await parent?.removeEntry(name, { recursive: true });
      } catch (e) {
        if (!notFound(e)) throw e;
      }
    },
  };
  return store;
}

// The few file operations the model cache needs, so one cache (cache.ts) runs on a Node folder
// (cache_store_node.ts) and on the browser's origin private file system (cache_store_opfs.ts). Paths are
// '/'-joined names below the store's root, each name already safe for both (cache.ts makes them so).

/** An open file that grows: written in order, then closed (what was written stays). */
export interface Appender {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface CacheStore {
  /** Where the cache is, for messages. */
  readonly where: string;
  /** A small file's text, or null when it is not there. */
  readText(path: string): Promise<string | null>;
  /** Replaces a small file whole; a reader sees the old text or the new, never half. */
  writeText(path: string, text: string): Promise<void>;
  /** A file's size in bytes, or null when it is not there. */
  size(path: string): Promise<number | null>;
  /** Bytes [start, end) of a file. */
  read(path: string, start: number, end: number): Promise<Uint8Array>;
  /** Opens a file for writing at its end (created when absent; emptied first with `truncate`). */
  append(path: string, truncate: boolean): Promise<Appender>;
  /** Moves a file, replacing what is at `to`. */
  move(from: string, to: string): Promise<void>;
  /** The names in a folder, each marked as folder or file; [] when the folder is not there. */
  list(dir: string): Promise<{ name: string; dir: boolean }[]>;
  /** Removes a file or a whole folder; nothing happens when it is not there. */
  remove(path: string): Promise<void>;
}

export const joinPath = (...parts: string[]) => parts.filter((p) => p !== '').join('/');
export const parentOf = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/')));
export const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** Every file below `dir` with its path relative to `dir` (depth first). */
export async function walkFiles(store: CacheStore, dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await store.list(dir)) {
    const rel = joinPath(prefix, e.name);
    if (e.dir) out.push(...(await walkFiles(store, joinPath(dir, e.name), rel)));
    else out.push(rel);
  }
  return out;
}

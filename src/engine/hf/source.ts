// A model's files wherever they lie — the download cache, a folder the user picked, a Node directory — as one
// interface: every file with its size (known before anything large is read), a whole file's bytes, or a byte
// range of one (a multi-gigabyte shard is read tensor by tensor): weights.ts's FileSource with the file list.
// Also which of a repository's files make a model we can load. Leaves out fetching (download.ts,
// fetch_model.ts) and parsing (tokenizer.ts, weights.ts).
import { type LlamaConfig, validateConfig } from '../config';
import { TOKENIZER_FILES } from './tokenizer';
import type { FileSource } from './weights';

export interface SourceFile {
  path: string; // '/'-separated, relative to the model's folder
  size: number; // bytes
  etag?: string; // what the source says identifies the content (the Hub's blob or LFS oid, an HTTP ETag)
}

/** A FileSource (read: a whole file, or null when the model has none; readRange: bytes [start, end), throwing
 * past the end) that also says what the model is and every file's size before anything is read. */
export interface ModelSource extends FileSource {
  /** What the model is, for messages: `owner/name@main (1a2b3c4)`, a URL, a folder's name. */
  readonly name: string;
  readonly files: readonly SourceFile[];
}

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_INDEX = 'model.safetensors.index.json';

/** The model's config.json, checked (validateConfig); throws naming the model when it has none. */
export async function readConfig(source: ModelSource): Promise<LlamaConfig> {
  const bytes = await source.read(CONFIG_FILE);
  if (!bytes) throw new Error(`${source.name}: no ${CONFIG_FILE}`);
  return validateConfig(JSON.parse(new TextDecoder().decode(bytes)), `${source.name}: ${CONFIG_FILE}`);
}
/** `model.safetensors` or one of its shards (`model-00001-of-00004.safetensors`). */
const WEIGHTS = /^model(-\d+-of-\d+)?\.safetensors$/;
const WANTED = new Set<string>([CONFIG_FILE, WEIGHTS_INDEX, ...TOKENIZER_FILES]);

/** The files of a repository that a model loads from (config, tokenizer, safetensors weights), in the order
 * to fetch them: config.json first (small, and it says how large the model is), weights last. Repositories
 * also hold ONNX exports, GGUF files, .bin weights and READMEs; those are skipped. Throws naming what is
 * missing when config.json or the safetensors weights are not there. */
export function selectModelFiles(files: readonly SourceFile[], where: string): SourceFile[] {
  const picked = files.filter((f) => WANTED.has(f.path) || WEIGHTS.test(f.path));
  if (!picked.some((f) => f.path === CONFIG_FILE))
    throw new Error(`${where}: no ${CONFIG_FILE} at the top level, so this is not a transformers model folder`);
  if (!picked.some((f) => WEIGHTS.test(f.path))) {
    const other = files.find((f) => /\.(bin|pt|pth|gguf|onnx|h5|msgpack)$/.test(f.path));
    throw new Error(
      `${where}: no safetensors weights (model.safetensors or model-NNNNN-of-NNNNN.safetensors)` +
        (other ? `; found ${other.path}, which this lab does not read` : ''),
    );
  }
  const rank = (f: SourceFile) => (f.path === CONFIG_FILE ? 0 : WEIGHTS.test(f.path) ? 2 : 1);
  return [...picked].sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
}

/** Checks a range against a file's size; the message names the file. */
export function checkRange(name: string, path: string, size: number, start: number, end: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > size)
    throw new Error(`${name}: ${path}: byte range [${start}, ${end}) is outside the file (${size} bytes)`);
}

/** Files the user picked (a folder input, a directory picker, a drop) as a source; `path` is relative to the
 * picked folder. Blob slices read a range without reading the whole file. */
export function blobSource(name: string, entries: readonly { path: string; blob: Blob }[]): ModelSource {
  const byPath = new Map(entries.map((e) => [e.path, e.blob]));
  return {
    name,
    files: entries.map((e) => ({ path: e.path, size: e.blob.size })),
    read: async (path) => {
      const b = byPath.get(path);
      return b ? new Uint8Array(await b.arrayBuffer()) : null;
    },
    readRange: async (path, start, end) => {
      const b = byPath.get(path);
      if (!b) throw new Error(`${name}: ${path} is not in the folder`);
      checkRange(name, path, b.size, start, end);
      return new Uint8Array(await b.slice(start, end).arrayBuffer());
    },
  };
}

/** A webkitdirectory input's relative path (`picked/sub/file`) without the picked folder's own name. */
export function withinFolder(relativePath: string): string {
  const slash = relativePath.indexOf('/');
  return slash < 0 ? relativePath : relativePath.slice(slash + 1);
}

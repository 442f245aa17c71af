// The CLIs' `--model DIR | hf:owner/name[@rev]` as a ModelSource: a folder is read in place (a Hugging Face
// snapshot folder included: its symlinks are followed); a Hub model is loaded into the cache folder
// ($RUBRIC_LAB_CACHE, else ~/.cache/rubric-lab/models) from $HF_ENDPOINT (a mirror) or the Hub, with
// $HF_TOKEN for gated models, and its progress written to stderr. Node only.
import { open, readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createModelCache } from './cache';
import { nodeCacheStore } from './cache_store_node';
import { type LoadedModel, type LoadOptions, loadModel } from './fetch_model';
import { DEFAULT_HUB_URL, type HubRef, normalizeHubUrl, parseModelArg } from './model_ref';
import { type FileProgress, progressLine } from './progress';
import { CONFIG_FILE, checkRange, type ModelSource, type SourceFile } from './source';

/** Where Hub models are cached: $RUBRIC_LAB_CACHE, else ~/.cache/rubric-lab/models. */
export const defaultCacheDir = (env: NodeJS.ProcessEnv = process.env) =>
  env.RUBRIC_LAB_CACHE || join(homedir(), '.cache', 'rubric-lab', 'models');

async function listDir(root: string, rel = ''): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue; // .git, .cache: not the model's
    const path = rel ? `${rel}/${e.name}` : e.name;
    const info = await stat(join(root, path)); // follows symlinks (snapshot folders link to blobs)
    if (info.isDirectory()) out.push(...(await listDir(root, path)));
    else if (info.isFile()) out.push({ path, size: info.size });
  }
  return out;
}

/** A model folder on disk, read in place. Throws when it is not there or has no config.json. */
export async function dirSource(dir: string): Promise<ModelSource> {
  const root = resolve(dir);
  let files: SourceFile[];
  try {
    files = await listDir(root);
  } catch (e) {
    throw new Error(`--model ${dir}: cannot read the folder (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  if (!files.some((f) => f.path === CONFIG_FILE)) throw new Error(`--model ${dir}: no ${CONFIG_FILE} in the folder`);
  const sizeOf = (path: string) => files.find((f) => f.path === path)?.size ?? null;
  const readAt = async (path: string, start: number, end: number) => {
    const file = await open(join(root, ...path.split('/')), 'r');
    try {
      const out = new Uint8Array(end - start);
      for (let done = 0; done < out.length; ) {
        const { bytesRead } = await file.read(out, done, out.length - done, start + done);
        if (bytesRead === 0) throw new Error(`${root}: ${path} ended before byte ${end}`);
        done += bytesRead;
      }
      return out;
    } finally {
      await file.close();
    }
  };
  return {
    name: root,
    files,
    read: async (path) => {
      const size = sizeOf(path);
      return size === null ? null : readAt(path, 0, size);
    },
    readRange: async (path, start, end) => {
      const size = sizeOf(path);
      if (size === null) throw new Error(`${root}: no file ${path}`);
      checkRange(root, path, size, start, end);
      return readAt(path, start, end);
    },
  };
}

/** Progress on stderr: on a terminal one line per file, rewritten in place; else a line when a file starts,
 * is tried again, or ends. */
export function stderrProgress(
  write: (s: string) => void = (s) => process.stderr.write(s),
  tty = !!process.stderr.isTTY,
) {
  const last = new Map<string, string>();
  return (p: FileProgress) => {
    const line = progressLine(p);
    const end = p.state === 'done' || p.state === 'cached';
    if (tty) return write(`\r\x1b[2K${line}${end ? '\n' : ''}`);
    if (p.state !== last.get(p.path) && p.state !== 'waiting') write(`${line}\n`);
    last.set(p.path, p.state);
  };
}

export interface ModelArgOptions extends LoadOptions {
  cacheDir?: string;
  hubUrl?: string; // else $HF_ENDPOINT, else the Hub
  token?: string; // else $HF_TOKEN
  env?: NodeJS.ProcessEnv;
}

/** `--model`'s value as a source: a folder as is, or a Hub model through the cache (fetched when missing). */
export async function openModelArg(arg: string, opts: ModelArgOptions = {}): Promise<ModelSource> {
  const parsed = parseModelArg(arg);
  if (parsed.kind === 'dir') return dirSource(parsed.dir);
  return (await loadModelArg(parsed.ref, opts)).source;
}

async function loadModelArg(ref: HubRef, opts: ModelArgOptions): Promise<LoadedModel> {
  const env = opts.env ?? process.env;
  const cache = createModelCache(nodeCacheStore(opts.cacheDir ?? defaultCacheDir(env)));
  const hubUrl = normalizeHubUrl(opts.hubUrl ?? env.HF_ENDPOINT ?? DEFAULT_HUB_URL);
  const token = opts.token ?? (env.HF_TOKEN || undefined);
  const loaded = await loadModel({ kind: 'hub', ref, hubUrl, token }, cache, {
    ...opts,
    onProgress: opts.onProgress ?? stderrProgress(),
  });
  if (loaded.cacheOnly) process.stderr.write(`${loaded.source.name}: from the cache (${loaded.cacheOnly})\n`);
  return loaded;
}

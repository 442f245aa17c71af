// A model at a plain base URL (`{base}/{file}`: a static server, a bucket, a copy of a snapshot folder) as a
// remote origin. A plain server has no file list, so the files a model loads from are asked for by name (a
// HEAD each: the size, and the ETag that tells a changed file), the shards named by
// model.safetensors.index.json when there is one. Leaves out tokens (the Hub's routes take those).
import type { DownloadTarget } from './download';
import { type ErrorContext, httpError, networkError } from './fetch_errors';
import type { RemoteModel } from './hub';
import { CONFIG_FILE, selectModelFiles, type SourceFile, WEIGHTS_INDEX } from './source';
import { TOKENIZER_FILES } from './tokenizer';

/** A base URL setting without a trailing slash; throws when it is not an http(s) URL. */
export function normalizeBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new Error(`Base URL "${text}": not a URL (e.g. https://example.org/models/my-model)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`Base URL "${text}": must be http(s)`);
  return url.href.replace(/\/+$/, '');
}

const errorsFor = (base: string, path: string): ErrorContext => ({
  what: `${base}: ${path}`,
  tokenGiven: false,
  tokenHelp: '',
});

/** The size and ETag of `{base}/{path}`, or null when the server says it is not there. */
async function probe(base: string, path: string, doFetch: typeof fetch): Promise<SourceFile | null> {
  const ctx = errorsFor(base, path);
  let res: Response;
  try {
    res = await doFetch(`${base}/${path}`, { method: 'HEAD' });
    // some servers refuse HEAD: the first byte of a GET says the size too
    if (res.status === 405 || res.status === 501)
      res = await doFetch(`${base}/${path}`, { headers: { Range: 'bytes=0-0' } });
  } catch (e) {
    throw networkError(ctx.what, e);
  }
  await res.body?.cancel();
  if (res.status === 404) return null;
  if (!res.ok) throw httpError(res.status, ctx);
  const total = res.headers.get('Content-Range')?.split('/')[1];
  const size = Number(res.status === 206 ? total : res.headers.get('Content-Length'));
  if (!Number.isInteger(size) || size < 0) throw new Error(`${ctx.what}: the server did not say the file's size`);
  return { path, size, etag: res.headers.get('ETag') ?? undefined };
}

/** The shard names model.safetensors.index.json lists. */
async function shardNames(base: string, doFetch: typeof fetch): Promise<string[]> {
  const ctx = errorsFor(base, WEIGHTS_INDEX);
  let res: Response;
  try {
    res = await doFetch(`${base}/${WEIGHTS_INDEX}`);
  } catch (e) {
    throw networkError(ctx.what, e);
  }
  if (!res.ok) throw httpError(res.status, ctx);
  const map = ((await res.json()) as { weight_map?: Record<string, string> }).weight_map;
  if (!map || typeof map !== 'object') throw new Error(`${ctx.what}: no weight_map`);
  return [...new Set(Object.values(map))];
}

export async function openUrlModel(base: string, opts: { fetch?: typeof fetch } = {}): Promise<RemoteModel> {
  const doFetch = opts.fetch ?? globalThis.fetch;
  const config = await probe(base, CONFIG_FILE, doFetch);
  if (!config) throw new Error(`${base}: no ${CONFIG_FILE} there (HTTP 404); is this the model's folder?`);
  const named = [...TOKENIZER_FILES, WEIGHTS_INDEX, 'model.safetensors'];
  const found = (await Promise.all(named.map((p) => probe(base, p, doFetch)))).filter((f) => f !== null);
  if (found.some((f) => f.path === WEIGHTS_INDEX)) {
    const shards = await Promise.all((await shardNames(base, doFetch)).map((p) => probe(base, p, doFetch)));
    found.push(...shards.filter((f) => f !== null));
  }
  const files = selectModelFiles([config, ...found], base);
  return {
    key: { kind: 'url', repo: base, revision: 'url' },
    refs: [],
    name: base,
    files,
    target: (file): DownloadTarget => ({
      url: `${base}/${file.path}`,
      headers: {},
      file,
      errors: errorsFor(base, file.path),
    }),
  };
}

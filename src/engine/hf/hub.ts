// A model on the Hugging Face Hub (or a mirror at another Hub URL) as a remote origin: the revision asked for
// resolved to its commit sha and the files listed at that sha with their sizes, through @huggingface/hub
// (modelInfo, listFiles: the API routes, pagination and error bodies are the library's). The bytes come from
// the Hub's resolve route (`/{repo}/resolve/{sha}/{path}`, a 302 to a CDN for large files) through
// download.ts rather than the library's downloadFile: that returns a Blob that hides the responses, so it
// could not resume from the bytes already cached nor check ETags, and for Xet-stored files it would speak
// the Xet protocol, which mirrors and the tests' stand-in server do not. The token goes in an Authorization
// header only, never in a URL or a cache key.
import { HubApiError, listFiles, modelInfo } from '@huggingface/hub';
import type { CacheKey } from './cache';
import type { DownloadTarget } from './download';
import { type ErrorContext, httpError, ModelFetchError, networkError } from './fetch_errors';
import { type HubRef, hubRefLabel, isCommitSha } from './model_ref';
import { selectModelFiles, type SourceFile } from './source';

/** A model's files somewhere remote, ready to be downloaded into the cache. */
export interface RemoteModel {
  key: CacheKey;
  refs: string[]; // the names that resolved to key.revision (e.g. main)
  name: string; // for messages and the cache list
  files: SourceFile[]; // the model's files only (source.ts's selectModelFiles), config.json first
  target(file: SourceFile): DownloadTarget;
}

export interface HubOptions {
  hubUrl: string; // normalized (model_ref.ts)
  token?: string;
  fetch?: typeof fetch;
}

/** Checks a token's shape before it is sent (the Hub's tokens start with hf_). */
export function checkToken(token: string): string {
  const t = token.trim();
  if (!/^hf_[A-Za-z0-9]+$/.test(t))
    throw new Error('The access token does not look like a Hugging Face token (hf_ and letters or digits)');
  return t;
}

const tokenHelp = (hubUrl: string) => ` (a read token from ${hubUrl}/settings/tokens)`;

/** The library's errors as ours: the Hub's own words, our advice, the repo named. */
function hubError(e: unknown, ctx: ErrorContext): Error {
  if (e instanceof HubApiError) {
    const detail = (e.data as { error?: unknown } | undefined)?.error;
    return httpError(e.statusCode, ctx, typeof detail === 'string' ? detail : undefined);
  }
  if (e instanceof ModelFetchError) return e;
  return networkError(ctx.what, e);
}

const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

export async function openHubModel(ref: HubRef, opts: HubOptions): Promise<RemoteModel> {
  const token = opts.token ? checkToken(opts.token) : undefined;
  const common = { hubUrl: opts.hubUrl, accessToken: token, fetch: opts.fetch };
  const ctx = (what: string): ErrorContext => ({ what, tokenGiven: !!token, tokenHelp: tokenHelp(opts.hubUrl) });
  const label = hubRefLabel(ref);
  let sha = ref.revision;
  const entries: SourceFile[] = [];
  try {
    if (!isCommitSha(ref.revision)) {
      const info = await modelInfo({ name: ref.repo, revision: ref.revision, additionalFields: ['sha'], ...common });
      if (typeof info.sha !== 'string' || !isCommitSha(info.sha))
        throw new ModelFetchError(`${label}: the Hub did not say which commit ${ref.revision} is`, 'http');
      sha = info.sha;
    }
    for await (const e of listFiles({ repo: ref.repo, revision: sha, recursive: true, ...common }))
      if (e.type === 'file') entries.push({ path: e.path, size: e.size, etag: e.lfs?.oid ?? e.oid });
  } catch (e) {
    throw hubError(e, ctx(label));
  }
  const name = sha === ref.revision ? label : `${label} (${sha.slice(0, 7)})`;
  const files = selectModelFiles(entries, name);
  return {
    key: { kind: 'hub', repo: ref.repo, revision: sha },
    refs: sha === ref.revision ? [] : [ref.revision],
    name,
    files,
    target: (file) => ({
      url: `${opts.hubUrl}/${ref.repo}/resolve/${sha}/${encodePath(file.path)}`,
      headers: token ? { Authorization: `Bearer ${token}` } : ({} as Record<string, string>),
      file,
      errors: ctx(`${name}: ${file.path}`),
    }),
  };
}

// One file's download against the stand-in Hub: a dropped connection resumes with Range from the bytes held
// and fetches only the rest; a file that changed on the server (another ETag) starts over; server errors are
// tried again after growing pauses; 404 names the repo, revision and file; a cancel keeps the bytes for later.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CacheKey, createModelCache, type ModelCache } from './cache';
import { nodeCacheStore } from './cache_store_node';
import { type DownloadTarget, downloadFile, parseContentRange } from './download';
import { ModelFetchError } from './fetch_errors';
import type { FileProgress } from './progress';
import { startTestHub, type TestHub } from './test_hub_server';
import { testModelFiles } from './test_model_files';

const REPO = 'test-org/tiny-model';
let hub: TestHub;
let sha: string;
const files = testModelFiles();
const dirs: string[] = [];

beforeAll(async () => {
  hub = await startTestHub();
  sha = hub.commit(REPO, files);
});
afterAll(async () => {
  await hub.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function freshCache(): Promise<ModelCache> {
  const dir = await mkdtemp(join(tmpdir(), 'rl-download-'));
  dirs.push(dir);
  return createModelCache(nodeCacheStore(dir));
}

const key = (): CacheKey => ({ kind: 'hub', repo: REPO, revision: sha });
const target = (path: string, size = files[path]?.length ?? 0, url = `${hub.url}/${REPO}/resolve/${sha}/${path}`) =>
  ({
    url,
    headers: {},
    file: { path, size },
    errors: { what: `${REPO}@main: ${path}`, tokenGiven: false, tokenHelp: '' },
  }) satisfies DownloadTarget;
const noWait = { sleep: async () => {}, progressEveryMs: 0 };
const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as ModelFetchError,
  );
/** Byte-for-byte equality (toEqual walks a large typed array element by element, slowly). */
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const cdnGets = (from: number) => hub.requests.slice(from).filter((r) => r.path.startsWith('/cdn/'));

describe('downloadFile', () => {
  it('resumes a dropped download with Range from the bytes held, and fetches only the rest', async () => {
    const cache = await freshCache();
    const file = 'model.safetensors';
    const size = files[file].length;
    const drop = 50_000;
    hub.dropOnce(file, drop);
    const seen = hub.requests.length;
    const sentBefore = hub.bytesSent();
    const events: FileProgress[] = [];
    await downloadFile(target(file), await cache.partial(key(), { path: file, size }), {
      ...noWait,
      onProgress: (p) => events.push(p),
    });
    expect(same(await cache.readFile(key(), file), files[file])).toBe(true);
    const gets = cdnGets(seen);
    expect(gets.length).toBe(2);
    expect(gets[0].range).toBeNull();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1].range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(drop);
    expect(gets[1].status).toBe(206);
    // what went out: the dropped part, then exactly the bytes after the resume point
    expect(hub.bytesSent() - sentBefore).toBe(drop + size - resumedAt);
    console.log(`dropped after ${drop} bytes sent, resumed at ${resumedAt} of ${size}`);
    expect(events.some((e) => e.state === 'retrying')).toBe(true);
    expect(events.find((e) => e.resumedFrom !== undefined)?.resumedFrom).toBe(resumedAt);
    expect(events.at(-1)).toMatchObject({ state: 'done', received: size, total: size });
  });

  it('starts the file over when the server holds another file than the bytes held (another ETag)', async () => {
    const cache = await freshCache();
    const path = 'model.safetensors';
    const repo = 'test-org/changing';
    hub.commit(repo, { 'model.safetensors': testModelFiles(1)[path] });
    const base = `${hub.url}/${repo}/resolve/main`; // a branch: what it serves changes with a new commit
    const size = files[path].length;
    const k: CacheKey = { kind: 'url', repo: base, revision: 'url' };
    hub.dropOnce(path, 50_000);
    await expect(
      downloadFile(target(path, size, `${base}/${path}`), await cache.partial(k, { path, size }), {
        ...noWait,
        retries: 0,
      }),
    ).rejects.toThrow(/the connection dropped after \d+ of \d+ bytes/);
    const changed = testModelFiles(2)[path]; // same size, other bytes: only the ETag tells
    expect(changed.length).toBe(size);
    hub.commit(repo, { [path]: changed });
    const seen = hub.requests.length;
    const sink = await cache.partial(k, { path, size });
    expect(sink.received()).toBeGreaterThan(0); // the first try's bytes were kept
    await downloadFile(target(path, size, `${base}/${path}`), sink, noWait);
    expect(same(await cache.readFile(k, path), changed)).toBe(true);
    const gets = cdnGets(seen);
    expect(gets.map((g) => [g.status, g.range !== null])).toEqual([
      [206, true], // asked for the rest: another ETag came back
      [200, false], // so the whole file again
    ]);
  });

  it('says which repo, revision and file were not found (404), without trying again', async () => {
    const cache = await freshCache();
    const seen = hub.requests.length;
    const err = await downloadFile(
      target('nope.json', 10),
      await cache.partial(key(), { path: 'nope.json', size: 10 }),
      noWait,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFetchError);
    expect((err as ModelFetchError).problem).toBe('not-found');
    expect((err as Error).message).toMatch(/test-org\/tiny-model@main: nope\.json: not found, HTTP 404/);
    expect((err as Error).message).toMatch(/does not exist/); // the Hub's own words
    expect(hub.requests.length - seen).toBe(1);
  });

  it('tries a server error again after growing pauses, and gives up naming the file', async () => {
    const cache = await freshCache();
    const path = 'config.json';
    const size = files[path].length;
    hub.failNext(path, 503, 2);
    const pauses: number[] = [];
    await downloadFile(target(path), await cache.partial(key(), { path, size }), {
      ...noWait,
      sleep: async (ms) => void pauses.push(ms),
    });
    expect(same(await cache.readFile(key(), path), files[path])).toBe(true);
    expect(pauses).toEqual([500, 1000]);

    const other = await freshCache();
    hub.failNext(path, 503, 4);
    const err = await failure(
      downloadFile(target(path), await other.partial(key(), { path, size }), { ...noWait, retries: 3 }),
    );
    expect(err?.problem).toBe('server');
    expect(err?.message).toMatch(/config\.json: the server answered HTTP 503/);
  });

  it('stops on cancel, keeps the bytes, and the next try resumes from them', async () => {
    const cache = await freshCache();
    const path = 'model.safetensors';
    const size = files[path].length;
    await cache.saveManifest({ ...key(), refs: [], files: [{ path, size }] });
    const release = hub.holdOnce(path, 50_000); // the rest waits: the cancel lands mid-file
    const ctl = new AbortController();
    const err = await failure(
      downloadFile(target(path), await cache.partial(key(), { path, size }), {
        ...noWait,
        signal: ctl.signal,
        onProgress: (p) => {
          if (p.received > 0) ctl.abort();
        },
      }),
    );
    expect(err?.problem).toBe('cancelled');
    release();
    const sink = await cache.partial(key(), { path, size });
    const held = sink.received();
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(50_000);
    await expect(cache.source(key(), REPO)).rejects.toThrow(/lacks model\.safetensors/); // never served half
    const seen = hub.requests.length;
    await downloadFile(target(path), sink, noWait);
    expect(cdnGets(seen)[0].range).toBe(`bytes=${held}-`);
    expect(same(await cache.readFile(key(), path), files[path])).toBe(true);
  });
});

describe('parseContentRange', () => {
  it('reads start, end and total', () => {
    expect(parseContentRange('bytes 10-19/100')).toEqual({ start: 10, end: 19, total: 100 });
    expect(parseContentRange('bytes 0-0/*')).toEqual({ start: 0, end: 0, total: null });
    expect(parseContentRange('items 0-1/2')).toBeNull();
    expect(parseContentRange(null)).toBeNull();
  });
});

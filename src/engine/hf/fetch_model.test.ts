// Loading models into the cache from the stand-in Hub, a base URL and a picked folder: only a model's files
// are fetched (config first), `main` resolves to a commit and a new commit is noticed, a second load comes
// from the cache (with the server stopped too), a gated repo asks for a token that is sent as a Bearer header
// and never stored, a missing repo or revision is named, the memory check refuses before any weights, and a
// sharded checkpoint's weights load bit-exactly from the cache through weights.ts's loadWeights.
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../config';
import { switchTestBackend } from '../test_backends';
import { createModelCache, type ModelCache } from './cache';
import { nodeCacheStore } from './cache_store_node';
import type { ModelFetchError } from './fetch_errors';
import { loadModel, type ModelRequest } from './fetch_model';
import { parseHubId } from './model_ref';
import { blobSource, type ModelSource } from './source';
import { startTestHub, type TestHub } from './test_hub_server';
import { testModelFiles } from './test_model_files';
import { TINY_VARIANTS, tinyCheckpoint } from './tiny_checkpoint';
import { loadWeights } from './weights';

const REPO = 'test-org/tiny-model';
const MODEL_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'model.safetensors',
];
const files = testModelFiles();
const noWait = { sleep: async () => {}, progressEveryMs: 0 };
const same = (a: Uint8Array | null, b: Uint8Array) => a !== null && Buffer.from(a).equals(Buffer.from(b));
let hub: TestHub | null = null;
const dirs: string[] = [];

afterEach(async () => {
  await hub?.stop();
  hub = null;
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function setup(opts: { pageSize?: number } = {}) {
  hub = await startTestHub(opts);
  const dir = await mkdtemp(join(tmpdir(), 'rl-models-'));
  dirs.push(dir);
  return { hub, dir, cache: createModelCache(nodeCacheStore(dir)) };
}
const hubReq = (h: TestHub, id: string, token?: string): Extract<ModelRequest, { kind: 'hub' }> => ({
  kind: 'hub',
  ref: parseHubId(id),
  hubUrl: h.url,
  token,
});
async function expectSameFiles(source: ModelSource, want: Record<string, Uint8Array> = files) {
  expect(source.files.map((f) => f.path).sort()).toEqual([...MODEL_FILES].sort());
  for (const f of source.files) expect(same(await source.read(f.path), want[f.path]), f.path).toBe(true);
}
const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as ModelFetchError,
  );

describe('loadModel from the Hub', () => {
  it('fetches only the model files, config.json first, at the commit main points to', async () => {
    const { hub, cache } = await setup({ pageSize: 2 }); // the tree comes in pages (a Link header)
    const sha = hub.commit(REPO, files);
    const order: string[] = [];
    const loaded = await loadModel(hubReq(hub, REPO), cache, {
      ...noWait,
      onProgress: (p) => p.state === 'done' && order.push(p.path),
    });
    await expectSameFiles(loaded.source);
    expect(order[0]).toBe('config.json');
    expect(order.at(-1)).toBe('model.safetensors');
    expect(loaded.manifest).toMatchObject({ kind: 'hub', repo: REPO, revision: sha, refs: ['main'] });
    expect(loaded.source.name).toBe(`${REPO}@main (${sha.slice(0, 7)})`);
    const resolved = hub.requests.filter((r) => r.path.includes('/resolve/'));
    expect(resolved.every((r) => r.path.includes(`/resolve/${sha}/`))).toBe(true); // bytes by commit, not branch
    expect(resolved.some((r) => /README|onnx/.test(r.path))).toBe(false);
    expect(hub.requests.filter((r) => r.path.includes('/tree/')).length).toBeGreaterThan(1);
    const [listed] = await cache.list();
    const total = MODEL_FILES.reduce((n, p) => n + files[p].length, 0);
    expect(listed).toMatchObject({ repo: REPO, revision: sha, totalBytes: total, missing: [] });
    expect(listed.cachedBytes).toBe(total + (await cache.store.size(`${listed.id}/manifest.json`))!); // disk use
  });

  it('loads a second time from the cache, and with the server stopped', async () => {
    const { hub, cache, dir } = await setup();
    const sha = hub.commit(REPO, files);
    await loadModel(hubReq(hub, REPO), cache, noWait);
    const seen = hub.requests.length;
    const again = await loadModel(hubReq(hub, REPO), cache, noWait);
    expect(again.fetched).toEqual([]);
    expect(hub.requests.slice(seen).some((r) => r.path.includes('/resolve/'))).toBe(false);
    const url = hub.url;
    await hub.stop();
    const offline = await loadModel(
      { ...hubReq(hub, REPO), hubUrl: url },
      createModelCache(nodeCacheStore(dir)),
      noWait,
    );
    expect(offline.cacheOnly).toMatch(/could not reach/);
    expect(offline.manifest.revision).toBe(sha);
    await expectSameFiles(offline.source);
    // a pinned commit that is cached asks nothing at all
    const pinned = await loadModel({ ...hubReq(hub, `${REPO}@${sha}`), hubUrl: url }, cache, noWait);
    expect(pinned.cacheOnly).toMatch(/in the cache/);
  });

  it('notices a new commit on main, and offline loads the newest snapshot it fetched', async () => {
    const { hub, cache } = await setup();
    const first = hub.commit(REPO, files);
    await loadModel(hubReq(hub, REPO), cache, noWait);
    const updated = { ...files, 'model.safetensors': testModelFiles(2)['model.safetensors'] };
    const second = hub.commit(REPO, updated);
    const loaded = await loadModel(hubReq(hub, REPO), cache, noWait);
    expect(loaded.manifest.revision).toBe(second);
    expect(same(await loaded.source.read('model.safetensors'), updated['model.safetensors'])).toBe(true);
    expect((await cache.list()).map((m) => m.revision).sort()).toEqual([first, second].sort());
    const url = hub.url;
    await hub.stop();
    const offline = await loadModel({ ...hubReq(hub, REPO), hubUrl: url }, cache, noWait);
    expect(offline.manifest.revision).toBe(second);
  });

  it('asks for a token for a gated repo (401), refuses a wrong one (403), sends the right one as Bearer', async () => {
    const token = 'hf_gatedSecret123';
    const { hub, cache, dir } = await setup();
    hub.commit('gated-org/gated-model', files, { gatedTokens: [token] });
    const none = await failure(loadModel(hubReq(hub, 'gated-org/gated-model'), cache, noWait));
    expect(none?.problem).toBe('needs-token');
    expect(none?.message).toMatch(/gated-org\/gated-model@main: HTTP 401.*needs an access token/);
    const wrong = await failure(loadModel(hubReq(hub, 'gated-org/gated-model', 'hf_wrong'), cache, noWait));
    expect(wrong?.problem).toBe('refused');
    expect(wrong?.message).toMatch(/HTTP 403, access refused/);
    const seen = hub.requests.length;
    await expectSameFiles((await loadModel(hubReq(hub, 'gated-org/gated-model', token), cache, noWait)).source);
    const toHub = hub.requests.slice(seen).filter((r) => !r.path.startsWith('/cdn/'));
    expect(toHub.length).toBeGreaterThan(3);
    expect(toHub.every((r) => r.authorization === `Bearer ${token}`)).toBe(true);
    expect(hub.requests.some((r) => r.path.includes(token))).toBe(false); // never in a URL
    // nothing in the cache holds it: no name, no byte
    for (const rel of await readdir(dir, { recursive: true })) {
      expect(rel).not.toContain(token);
      const path = join(dir, rel);
      if ((await stat(path)).isFile()) expect((await readFile(path)).includes(token)).toBe(false);
    }
  });

  it('names a missing repo, a missing revision, and refuses a malformed token before sending it', async () => {
    const { hub, cache } = await setup();
    hub.commit(REPO, files);
    const repo = await failure(loadModel(hubReq(hub, 'test-org/no-such-model'), cache, noWait));
    expect(repo?.message).toMatch(/test-org\/no-such-model@main: not found, HTTP 404 \(Repository not found\)/);
    const rev = await failure(loadModel(hubReq(hub, `${REPO}@v9`), cache, noWait));
    expect(rev?.message).toMatch(/test-org\/tiny-model@v9: not found, HTTP 404 \(Invalid rev id: v9\)/);
    const seen = hub.requests.length;
    await expect(loadModel(hubReq(hub, REPO, 'not a token'), cache, noWait)).rejects.toThrow(/does not look like/);
    expect(hub.requests.length).toBe(seen);
  });

  it('lets the memory check refuse after config.json, before any weights are fetched', async () => {
    const { hub, cache } = await setup();
    hub.commit(REPO, files);
    let sizes: Record<string, number> = {};
    const refuse = await failure(
      loadModel(hubReq(hub, REPO), cache, {
        ...noWait,
        beforeWeights: (config, list) => {
          sizes = Object.fromEntries(list.map((f) => [f.path, f.size]));
          throw new Error(`needs more memory than there is (hidden_size ${config.hidden_size})`);
        },
      }),
    );
    expect(refuse?.message).toBe('needs more memory than there is (hidden_size 48)');
    expect(sizes['model.safetensors']).toBe(files['model.safetensors'].length);
    expect(hub.requests.some((r) => r.path.startsWith('/cdn/') || r.path.endsWith('.safetensors'))).toBe(false);
    expect(await cache.list()).toEqual([]); // a refused model leaves nothing in the cache
  });
});

describe('loadModel from a base URL and from a folder', () => {
  it('loads from {base}/{file}, then from the cache with the server stopped', async () => {
    const { hub, cache } = await setup();
    hub.commit(REPO, files);
    const base = `${hub.url}/${REPO}/resolve/main`;
    await expectSameFiles((await loadModel({ kind: 'url', base }, cache, noWait)).source);
    await hub.stop();
    const offline = await loadModel({ kind: 'url', base }, cache, noWait);
    expect(offline.cacheOnly).toMatch(/could not reach/);
    await expectSameFiles(offline.source);
  });

  it('copies a picked folder into the cache; picking it again replaces it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rl-models-'));
    dirs.push(dir);
    const cache: ModelCache = createModelCache(nodeCacheStore(dir));
    const picked = (f: Record<string, Uint8Array>) =>
      blobSource(
        'my-model',
        Object.entries(f).map(([path, bytes]) => ({ path, blob: new Blob([bytes as BlobPart]) })),
      );
    const loaded = await loadModel({ kind: 'folder', name: 'my-model', source: picked(files) }, cache, noWait);
    await expectSameFiles(loaded.source);
    const changed = { ...files, 'model.safetensors': testModelFiles(3)['model.safetensors'] };
    const again = await loadModel({ kind: 'folder', name: 'my-model', source: picked(changed) }, cache, noWait);
    await expectSameFiles(again.source, changed);
    expect((await cache.list()).length).toBe(1);
  });

  it("feeds weights.ts's loader: a sharded checkpoint from the Hub loads bit-exactly from the cache", async () => {
    await switchTestBackend('cpu');
    const { hub, cache } = await setup();
    const sharded = TINY_VARIANTS.find((v) => v.name === 'qwen2-sharded-bf16')!;
    const { files: shardedFiles, tensors } = tinyCheckpoint(sharded, 5);
    hub.commit('test-org/sharded', shardedFiles);
    const { source } = await loadModel(hubReq(hub, 'test-org/sharded'), cache, noWait);
    expect(source.files.filter((f) => f.path.endsWith('.safetensors')).length).toBe(3);
    const params = await loadWeights(source, validateConfig(sharded.config));
    try {
      expect(Object.keys(params).sort()).toEqual(Object.keys(tensors).sort());
      for (const [name, t] of Object.entries(tensors))
        expect(Buffer.from((await params[name].data()).buffer).equals(Buffer.from(t.data.buffer)), name).toBe(true);
    } finally {
      tf.dispose(Object.values(params));
    }
  });
});

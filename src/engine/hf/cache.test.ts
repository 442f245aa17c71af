// The model cache's own rules: a partial file is never served as complete, bytes kept for another size are
// not resumed, the list gives each snapshot's size and what is missing, delete drops the snapshot and the refs
// to it, and a file path cannot climb out of its snapshot.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type CacheKey, createModelCache } from './cache';
import { nodeCacheStore } from './cache_store_node';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function fresh() {
  const dir = await mkdtemp(join(tmpdir(), 'rl-cache-'));
  dirs.push(dir);
  return { dir, cache: createModelCache(nodeCacheStore(dir)) };
}
const key: CacheKey = { kind: 'hub', repo: 'o/m', revision: 'a'.repeat(40) };
const bytes = (n: number, v = 1) => new Uint8Array(n).fill(v);

describe('createModelCache', () => {
  it('serves a file only once every byte is in, and lists what is missing', async () => {
    const { cache } = await fresh();
    const files = [
      { path: 'config.json', size: 4 },
      { path: 'model.safetensors', size: 10 },
    ];
    await cache.saveManifest({ ...key, refs: ['main'], files });
    const cfg = await cache.partial(key, files[0]);
    await cfg.begin('"e1"', true);
    await cfg.write(bytes(4));
    await cfg.finish();
    const weights = await cache.partial(key, files[1]);
    await weights.begin('"e2"', true);
    await weights.write(bytes(6));
    await weights.pause();
    await expect(weights.finish()).rejects.toThrow(/6 bytes downloaded, expected 10/);
    expect(await cache.isComplete(key, files[1])).toBe(false);
    await expect(cache.source(key, 'o/m')).rejects.toThrow(/lacks model\.safetensors; load the model again/);
    await expect(cache.readFile(key, 'model.safetensors')).rejects.toThrow(/not complete/);
    const [listed] = await cache.list();
    expect(listed).toMatchObject({ missing: ['model.safetensors'], totalBytes: 14 });
    expect(listed.cachedBytes).toBeGreaterThanOrEqual(10); // the partial bytes count as space used

    const resumed = await cache.partial(key, files[1]);
    expect([resumed.received(), resumed.etag()]).toEqual([6, '"e2"']);
    await resumed.begin('"e2"', false);
    await resumed.write(bytes(4, 2));
    await resumed.finish();
    const source = await cache.source(key, 'o/m');
    expect([...(await source.readRange('model.safetensors', 4, 8))]).toEqual([1, 1, 2, 2]);
    expect(await source.read('tokenizer.json')).toBeNull();
    await expect(source.readRange('model.safetensors', 8, 11)).rejects.toThrow(/outside the file \(10 bytes\)/);
  });

  it('does not resume bytes held for a file of another size', async () => {
    const { cache } = await fresh();
    const sink = await cache.partial(key, { path: 'model.safetensors', size: 10 });
    await sink.begin('"e"', true);
    await sink.write(bytes(5));
    await sink.pause();
    const other = await cache.partial(key, { path: 'model.safetensors', size: 12 });
    expect(other.received()).toBe(0);
  });

  it('deletes a snapshot with the refs that pointed at it, keeping the others', async () => {
    const { cache, dir } = await fresh();
    const old = { ...key, revision: 'b'.repeat(40) };
    for (const k of [key, old]) {
      await cache.saveManifest({ ...k, refs: [], files: [] });
      await cache.setRef('hub', 'o/m', k === key ? 'main' : 'v1', k.revision);
    }
    const ids = (await cache.list()).map((m) => m.id);
    expect(ids.length).toBe(2);
    await cache.remove(ids.find((id) => id.endsWith(key.revision))!);
    expect(await cache.ref('hub', 'o/m', 'main')).toBeNull();
    expect(await cache.ref('hub', 'o/m', 'v1')).toBe(old.revision);
    await cache.remove((await cache.list())[0].id);
    expect(await readdir(dir)).toEqual([]); // the model's folder goes with its last snapshot
    await expect(cache.remove('../x')).rejects.toThrow(/No cached model/);
  });

  it('keeps every file path inside its snapshot', async () => {
    const { cache, dir } = await fresh();
    const sink = await cache.partial(key, { path: '../../escape', size: 1 });
    await sink.begin(null, true);
    await sink.write(bytes(1));
    await sink.finish();
    expect(await readdir(dir)).toEqual(['hub--o--m']);
  });
});

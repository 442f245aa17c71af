// The CLIs' --model: a folder is read in place (ranges included); hf:owner/name is loaded through the cache
// folder from $HF_ENDPOINT, with progress on stderr.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultCacheDir, dirSource, openModelArg, stderrProgress } from './source_node';
import { startTestHub, type TestHub } from './test_hub_server';
import { testModelFiles } from './test_model_files';

const files = testModelFiles();
const dirs: string[] = [];
let hub: TestHub | null = null;
afterEach(async () => {
  await hub?.stop();
  hub = null;
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'rl-src-'));
  dirs.push(d);
  return d;
};

describe('dirSource', () => {
  it('lists a folder with sizes (sub-folders too, dot folders not) and reads files and ranges', async () => {
    const dir = await tmp();
    for (const [path, bytes] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), bytes);
    }
    await mkdir(join(dir, '.git'));
    await writeFile(join(dir, '.git', 'HEAD'), 'x');
    const source = await dirSource(dir);
    expect(source.files.map((f) => f.path).sort()).toEqual(Object.keys(files).sort());
    expect(source.files.find((f) => f.path === 'model.safetensors')?.size).toBe(files['model.safetensors'].length);
    expect(Buffer.from((await source.read('config.json'))!).equals(Buffer.from(files['config.json']))).toBe(true);
    expect([...(await source.readRange('model.safetensors', 8, 12))]).toEqual([
      ...files['model.safetensors'].subarray(8, 12),
    ]);
    expect(await source.read('missing.json')).toBeNull();
    await expect(source.readRange('config.json', 0, 1e9)).rejects.toThrow(/config\.json: byte range/);
    await expect(dirSource(join(dir, 'nope'))).rejects.toThrow(/cannot read the folder \(ENOENT\)/);
    await expect(dirSource(join(dir, 'onnx'))).rejects.toThrow(/no config\.json/);
  });
});

describe('openModelArg', () => {
  it('loads hf:owner/name from $HF_ENDPOINT into the cache folder, with progress on stderr', async () => {
    hub = await startTestHub();
    hub.commit('test-org/tiny-model', files);
    const cacheDir = await tmp();
    const lines: string[] = [];
    const env = { HF_ENDPOINT: hub.url, RUBRIC_LAB_CACHE: cacheDir };
    const source = await openModelArg('hf:test-org/tiny-model', {
      env,
      sleep: async () => {},
      onProgress: stderrProgress((s) => lines.push(s), false),
    });
    expect(source.name).toMatch(/^test-org\/tiny-model@main \([0-9a-f]{7}\)$/);
    expect(Buffer.from((await source.read('tokenizer.json'))!).equals(Buffer.from(files['tokenizer.json']))).toBe(true);
    expect(await readdir(cacheDir)).toEqual(['hub--test-org--tiny-model']);
    expect(lines.some((l) => /^model\.safetensors .* · done\n$/.test(l))).toBe(true);
    expect(defaultCacheDir(env)).toBe(cacheDir);
    expect(defaultCacheDir({ HOME: '/home/x' })).toMatch(/\.cache\/rubric-lab\/models$/);
  });
});

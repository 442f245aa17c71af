// What must hold: loading a model whose plan does not fit (Qwen2.5-0.5B's shape against a 1 GiB device) is
// refused with the numbers after config.json and before any safetensors request reaches the Hub, leaving
// nothing in the cache; a model that fits loads, its plan handed out.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryPlan } from '../memory';
import { createModelCache } from './cache';
import { nodeCacheStore } from './cache_store_node';
import { loadModel } from './fetch_model';
import { QWEN25_05B_INSTRUCT } from './known_configs';
import { memoryGuard } from './memory_guard';
import { parseHubId } from './model_ref';
import { startTestHub, type TestHub } from './test_hub_server';
import { testModelFiles } from './test_model_files';

const GiB = 2 ** 30;
const limits = { maxBufferSize: GiB, maxStorageBufferBindingSize: GiB, deviceBytes: GiB };
const context = { promptTokens: 512, maxNewTokens: 512, batch: 1 };
let hub: TestHub | null = null;
const dirs: string[] = [];

afterEach(async () => {
  await hub?.stop();
  hub = null;
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function setup(files: Record<string, Uint8Array>) {
  hub = await startTestHub();
  hub.commit('org/model', files);
  const dir = await mkdtemp(join(tmpdir(), 'rl-guard-'));
  dirs.push(dir);
  const cache = createModelCache(nodeCacheStore(dir));
  const req = { kind: 'hub' as const, ref: parseHubId('org/model'), hubUrl: hub.url };
  return { hub, cache, req };
}

describe('the memory plan before the weights', () => {
  it('refuses a model that cannot fit with the numbers, before any weights are requested', async () => {
    // Qwen2.5-0.5B's config.json over a tiny checkpoint: the plan reads the config alone
    const config = new TextEncoder().encode(JSON.stringify(QWEN25_05B_INSTRUCT));
    const { hub, cache, req } = await setup({ ...testModelFiles(), 'config.json': config });
    let plan: MemoryPlan | null = null;
    const load = loadModel(req, cache, { beforeWeights: memoryGuard(limits, context, (p) => (plan = p)) });
    const numbers = /weights 1\.84 GiB \+ KV cache 24\.0 MiB \+ activations .* past the device memory of 1\.00 GiB/;
    await expect(load).rejects.toThrow(/does not fit \(nothing of its weights was downloaded\):\n/);
    await expect(load).rejects.toThrow(numbers);
    expect(plan!.params).toBe(494_032_768);
    expect(hub.requests.map((r) => r.path).filter((p) => p.startsWith('/cdn/') || p.endsWith('.safetensors'))).toEqual(
      [],
    );
    expect(hub.requests.some((r) => r.path.endsWith('/config.json'))).toBe(true);
    expect(await cache.list()).toEqual([]);
  });

  it('loads a model that fits, handing out its plan', async () => {
    const { hub, cache, req } = await setup(testModelFiles());
    let plan: MemoryPlan | null = null;
    const loaded = await loadModel(req, cache, { beforeWeights: memoryGuard(limits, context, (p) => (plan = p)) });
    expect(loaded.fetched).toContain('model.safetensors');
    expect(plan!.problems).toEqual([]);
    expect(plan!.context).toBe(1024);
    expect(hub.requests.some((r) => r.path.endsWith('.safetensors') || r.path.startsWith('/cdn/'))).toBe(true);
  });
});

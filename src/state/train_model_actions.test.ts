// The Train page's real model and datasets, against the real run and model-cache hosts (WASM) standing in for
// the worker, a Node folder standing in for the browser's model cache (a tiny random Llama checkpoint in Hugging
// Face layout copied in as a picked folder) and an in-memory LabStore. Must hold:
//  - picking the cached model turns LoRA on at the default rank, and the worker reads its config (2 layers,
//    hidden 48) and the draft's lengths through its chat template for the memory plan;
//  - the picks (model, distillation and GRPO datasets) come back after a reload;
//  - a start trains the model read from the cache (no weights in the request), distils on the dataset's traces
//    (its step count, not the world's), and the record names the model, the dataset and init; stopped at once,
//    it resumes with the weights under its LoRA adapters read from the cache by the worker (the page sends
//    none), and reaches done;
//  - a model deleted from the cache, or one that lost a file, is refused at Start naming it, nothing stored.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createModelCache } from '../engine/hf/cache';
import { nodeCacheStore } from '../engine/hf/cache_store_node';
import { testModelFiles } from '../engine/hf/test_model_files';
import { switchTestBackend } from '../engine/test_backends';
import type { Pair } from '../rm/pair';
import type { LabStore } from '../train/lab_store';
import { worldSplits } from '../train/pipeline';
import { applyOverrides, REAL_MODEL_LORA_RANK, RUN_DEFAULTS } from '../train/run_config';
import { createModelsHost } from '../worker/models_host';
import type { ResumeRunRequest, StartRunRequest, WorkerEvent } from '../worker/protocol';
import { createRunHost } from '../worker/run_host';

const shared = vi.hoisted(() => ({ engine: null as unknown, store: null as null | LabStore }));
vi.mock('../worker/client', () => ({ getEngine: () => shared.engine }));
vi.mock('./lab', async () => {
  const { createMemoryStore } = await import('../train/lab_store');
  const store = async () => (shared.store ??= createMemoryStore());
  return { labStore: store, getLab: async () => ({ store: await store(), warning: null }) };
});

// localStorage as the browser keeps it across a reload
const saved = new Map<string, string>();
vi.stubGlobal('localStorage', {
  getItem: (k: string) => saved.get(k) ?? null,
  setItem: (k: string, v: string) => saved.set(k, v),
  removeItem: (k: string) => saved.delete(k),
});
// the settings live in the address bar (a reload reads them back: here the next page is handed them)
vi.stubGlobal('history', { replaceState: () => undefined });

const draft = applyOverrides(RUN_DEFAULTS, {
  stage: 'sft',
  checkpointEvery: '0',
  'world.nDistill': '9', // the world's: 1 to train on, 8 held out (one SFT step)
  'world.nEval': '1',
  'sft.epochs': '1',
  'sft.batchSize': '1',
  'eval.maxCompletionLength': '4',
});

let dir: string;
beforeAll(async () => {
  await switchTestBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'rl-train-model-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A page: fresh state modules, with the run and model-cache hosts as its worker (the start request kept). */
async function openPage() {
  vi.resetModules();
  const run = await import('./run_actions');
  const choices = await import('./train_model_actions');
  const { useAppStore } = await import('./store');
  const requests: StartRunRequest[] = [];
  const resumes: ResumeRunRequest[] = [];
  const emit = (e: WorkerEvent) => {
    if (e.kind === 'run') void run.applyRunEvent(e);
    if (e.kind === 'run-status') void run.applyRunStatus(e);
  };
  const { openCached, ...models } = createModelsHost(emit, async () => createModelCache(nodeCacheStore(dir)));
  const runs = createRunHost(emit, { openCached });
  const startRun = (req: StartRunRequest) => {
    requests.push(req);
    return runs.startRun(req);
  };
  const resumeRun = (req: ResumeRunRequest) => {
    resumes.push(req);
    return runs.resumeRun(req);
  };
  shared.engine = { ...runs, ...models, startRun, resumeRun };
  return { ...run, ...choices, models, requests, resumes, get: useAppStore.getState, setState: useAppStore.setState };
}

const until = (get: () => { run: { status: string } | null; live: boolean }, status: string) =>
  vi.waitFor(
    () => {
      const s = get();
      if (s.run?.status !== status || s.live) throw new Error(`status ${s.run?.status}, waiting for ${status}`);
    },
    { timeout: 100_000, interval: 20 },
  );

describe('a real model of the model cache on the Train page (tiny Llama, WASM)', () => {
  it('picks, plans, remembers, trains on a traced dataset to done, refuses a model gone or incomplete', async () => {
    const page = await openPage();
    const files = testModelFiles();
    const loaded = await page.models.loadModel('l', {
      kind: 'folder',
      name: 'tiny-folder',
      files: Object.entries(files).map(([path, bytes]) => ({ path, file: new Blob([new Uint8Array(bytes)]) })),
    });
    const picked = { id: loaded.model.id, name: 'tiny-folder' };
    // RM-R1's SFT records carry their trace in meta.trace: 10 of them, 8 held out, 2 SFT steps of 1
    const traced: Pair[] = worldSplits(draft)
      .distill.slice(0, 1)
      .flatMap((d) => Array.from({ length: 10 }, (_, i) => ({ ...d.pair, id: `r${i}`, meta: { trace: d.trace } })));
    const store = await (await import('./lab')).labStore();
    const meta = { name: 'rm-r1 sft', source: 'import' as const, format: 'rm-r1', createdAt: 1, updatedAt: 1 };
    await store.putDataset({ ...meta, id: 'traces', count: traced.length }, traced);
    page.setState({ draft, datasets: await store.listDatasets(), cachedModels: await page.models.cachedModels() });

    page.chooseTrainModel(picked);
    page.chooseDistillDataset('traces');
    expect(page.get().draft.lora.rank).toBe(REAL_MODEL_LORA_RANK);
    await vi.waitFor(() => expect(page.get().trainModelInfo?.config.hidden_size).toBe(48));
    // the judge prompt through the model's chat template is longer than the built-in tokenizer's words
    expect(page.get().trainModelInfo!.shapes.promptLen).toBeGreaterThan(100);

    const reloaded = await openPage();
    reloaded.setState({ datasets: await store.listDatasets() });
    reloaded.restoreTrainChoices();
    expect([reloaded.get().trainModel, reloaded.get().distillDataset]).toEqual([picked, 'traces']);
    await vi.waitFor(() => expect(reloaded.get().trainModelInfo?.id).toBe(picked.id));

    // started, paused and stopped at once, then resumed: the weights under its adapters come from the cache
    reloaded.setState({ draft: page.get().draft });
    await reloaded.startRun();
    reloaded.pause();
    expect(reloaded.get().runError).toBeNull();
    await vi.waitFor(() => expect(reloaded.get().run?.status).toBe('paused'), { timeout: 100_000, interval: 20 });
    await reloaded.stopRun();
    await until(reloaded.get, 'stopped');
    await reloaded.resumeRun(reloaded.get().run!.id);
    await until(reloaded.get, 'done');
    expect(reloaded.resumes.map((r) => [r.startModel, r.base])).toEqual([[picked.id, {}]]); // no bytes sent
    const req = reloaded.requests[0];
    expect([req.model, req.init, req.distillPairs?.length]).toEqual([picked.id, undefined, 10]);
    const run = (await store.getRun(reloaded.get().run!.id))!;
    expect(run.status).toBe('done');
    expect(run.model).toEqual(picked);
    expect(run.init).toBe(`model:${picked.id}`);
    expect(run.distillDataset).toEqual({ id: 'traces', name: 'rm-r1 sft' });
    expect(run.name).toBe('tiny-folder sft seed 1');
    expect(run.progress.find((p) => p.phase === 'sft')).toMatchObject({ done: 2, total: 2 }); // not the world's 1
    const ckpt = await store.checkpointFiles(`${run.id}-sft`);
    expect(ckpt?.['tokenizer.json']).toEqual(files['tokenizer.json']); // Hugging Face layout, the base's files

    // one file of it gone from the cache: refused naming the model and the file, no run stored
    const runs = (await store.listRuns()).length;
    await rm(join(dir, picked.id, 'files', 'model.safetensors'));
    reloaded.setState({ cachedModels: await reloaded.models.cachedModels() });
    await reloaded.startRun();
    expect(reloaded.get().runError).toMatch(
      /tiny-folder is incomplete in the model cache \(missing model\.safetensors\)/,
    );
    await reloaded.models.deleteCachedModel(picked.id);
    await reloaded.startRun();
    expect(reloaded.get().runError).toMatch(/tiny-folder is no longer in this browser's model cache/);
    expect((await store.listRuns()).length).toBe(runs);
  });
});

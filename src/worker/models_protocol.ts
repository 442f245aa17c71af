// The model cache's part of the worker API and its events: list the cached models, load one into the cache
// (from the Hub, a base URL or a picked folder) with per-file progress events, cancel, delete. Plain data only
// (a picked folder's files cross as File objects). The token of a gated model crosses in the request and is
// used for that load only: the worker keeps it nowhere.
import type { LlamaConfig } from '../engine/config';
import type { CachedModel } from '../engine/hf/cache';
import type { FileProgress } from '../engine/hf/progress';
import type { MemoryLimits, MemoryPlan } from '../engine/memory';
import type { RunConfig } from '../train/run_config';
import type { RunShapes } from '../train/run_estimate';

export type { CachedModel } from '../engine/hf/cache';
export type { FileProgress } from '../engine/hf/progress';

export type ModelLoadSpec =
  /** `owner/name[@revision]` from the Hub at `hubUrl` (a mirror's too). */
  | { kind: 'hub'; id: string; hubUrl: string; token?: string }
  /** `{base}/{file}` from a plain server. */
  | { kind: 'url'; base: string }
  /** A folder the user picked: each file with its path inside the folder. */
  | { kind: 'folder'; name: string; files: { path: string; file: Blob }[] }
  /** A cached snapshot as it is, asking nothing of the network. */
  | { kind: 'cached'; id: string };

export interface ModelLoadResult {
  model: CachedModel; // the snapshot as the cache list shows it
  fetched: string[]; // files fetched by this load
  /** Set when the origin was not asked or could not be reached and the cache alone answered: why. */
  cacheOnly?: string;
  summary: string; // model_summary.ts's line: the files open
  /** The memory plan at the planning context, against this adapter's limits (null: no WebGPU adapter here). */
  memory: { plan: MemoryPlan; limits: MemoryLimits | null };
}

export type ModelEvent = { kind: 'model-progress'; loadId: string; file: FileProgress };

export interface ModelsApi {
  cachedModels(): Promise<CachedModel[]>;
  /** Loads the model into the cache (fetching what is missing), checks that it opens; progress streams as
   * 'model-progress' events under `loadId`. Rejects with the reason (a 404 naming the file, a 401 asking for
   * a token, "cancelled", a memory plan that does not fit — before any weights are fetched —, …). */
  loadModel(loadId: string, spec: ModelLoadSpec): Promise<ModelLoadResult>;
  cancelModelLoad(loadId: string): void;
  /** A cached model's config and the run's lengths through its tokenizer and chat template: what the Train
   * page plans a run of it with. Rejects naming a model no longer cached or missing files. */
  cachedModelShapes(id: string, run: RunConfig): Promise<{ config: LlamaConfig; shapes: RunShapes }>;
  /** Deletes a cached snapshot; returns the list left. */
  deleteCachedModel(id: string): Promise<CachedModel[]>;
}

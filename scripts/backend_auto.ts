// `--backend auto` for the Node CLIs: the backend chosen by measurement, as the page chooses it
// (engine/backend_choice.ts): WASM, then Dawn's WebGPU when this process has an adapter (a GPU driver, or
// SwiftShader when VK_ICD_FILENAMES points at it), stock and fused, each timing a warm training step and
// decode steps of the run's model in this process (the budget checked between steps); cached per adapter,
// Node and Dawn versions, engine version and model in node_modules/.cache/rubric-lab/backend-timings.json.
import { measureCandidate } from '../src/bench/step_times';
import { type BackendReport, describeAdapter, initBackend, releaseBackend } from '../src/engine/backend';
import {
  type BackendChoice,
  chooseBackend,
  modelKey,
  timingsKey,
  type TimingsRecord,
} from '../src/engine/backend_choice';
import type { LlamaConfig } from '../src/engine/config';
import { engineSourceVersion } from '../src/engine/engine_version_node';
import { adapterKey } from '../src/engine/kernel_choice';
import { nodeRuntime, selectKernelsInNode } from '../src/engine/kernel_choice_node';
import { cacheFile, fileCache } from '../src/engine/keyed_cache_node';
import { initNodeBackend, installNodeWebGPU } from '../src/engine/node_webgpu';
import type { RunConfig } from '../src/train/run_config';
import { estimateRun, runShapes } from '../src/train/run_estimate';

export const BACKEND_TIMINGS_CACHE = cacheFile('backend-timings');

/** Measures (or reads the cached times), picks the fastest for `run`, starts it and frees the others. */
export async function startMeasuredBackend(
  run: RunConfig,
  cfg: LlamaConfig,
  log: (line: string) => void,
  cache = BACKEND_TIMINGS_CACHE,
): Promise<{ choice: BackendChoice; report: BackendReport }> {
  const why = await installNodeWebGPU();
  const adapter = why ?? (await describeAdapter());
  const key = adapterKey(typeof adapter === 'string' ? undefined : adapter, nodeRuntime(), engineSourceVersion());
  const shapes = runShapes(run);
  const choice = await chooseBackend('auto', {
    adapter,
    cache: fileCache<TimingsRecord>(cache),
    key: timingsKey(key, modelKey(cfg)),
    model: modelKey(cfg),
    measure: (c, budgetMs) =>
      measureCandidate(c, cfg, budgetMs, {
        start: (name) => initBackend({ order: [name] }),
        kernels: (report) => selectKernelsInNode('auto', report),
      }),
    cost: (t) => estimateRun(run, shapes, t).seconds,
    onProgress: (label) => log(`backend: ${label} (once per device and model)`),
  });
  const report = await initNodeBackend(choice.backend);
  for (const other of ['webgpu', 'wasm'] as const) if (other !== report.name) releaseBackend(other);
  return { choice, report };
}

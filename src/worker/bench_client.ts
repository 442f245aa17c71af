// The bench page's handle on its worker (bench.worker.ts), started on first use.
import * as Comlink from 'comlink';
import type { ModelSuiteOptions, ModelSuiteResult } from '../bench/model_suite';
import type { SuiteOptions, SuiteProgress, SuiteResult } from '../bench/suite';
import type { BenchApi, KernelCheckResult } from './bench.worker';
import type { CachedModel } from './models_protocol';

let bench: Comlink.Remote<BenchApi> | null = null;

function worker(): Comlink.Remote<BenchApi> {
  bench ??= Comlink.wrap<BenchApi>(new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module' }));
  return bench;
}

export function runBench(o: SuiteOptions, onProgress: (p: SuiteProgress) => void): Promise<SuiteResult> {
  return worker().run(o, Comlink.proxy(onProgress));
}

export function runKernelCheck(onProgress: (done: number, total: number) => void): Promise<KernelCheckResult> {
  return worker().checkKernels(Comlink.proxy(onProgress));
}

export function cachedModels(): Promise<CachedModel[]> {
  return worker().cachedModels();
}

export function runModelBench(
  id: string,
  o: ModelSuiteOptions,
  onProgress: (p: SuiteProgress) => void,
): Promise<ModelSuiteResult> {
  return worker().runModel(id, o, Comlink.proxy(onProgress));
}

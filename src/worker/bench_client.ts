// The bench page's handle on its worker (bench.worker.ts), started on first use.
import * as Comlink from 'comlink';
import type { SuiteOptions, SuiteProgress, SuiteResult } from '../bench/suite';
import type { BenchApi } from './bench.worker';

let bench: Comlink.Remote<BenchApi> | null = null;

export function runBench(o: SuiteOptions, onProgress: (p: SuiteProgress) => void): Promise<SuiteResult> {
  bench ??= Comlink.wrap<BenchApi>(new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module' }));
  return bench.run(o, Comlink.proxy(onProgress));
}

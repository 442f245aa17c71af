// The whole benchmark as one call, for the Node CLI (scripts/bench.ts) and the browser bench page (its
// worker): for each backend and preset the stock run, and with `compare` the fused run and their ratios;
// optionally the time to first step with and without the shader precompile, the fused path at several
// WebGPU submit batch sizes, the decode cost early and late in a long generation, and what bounding the
// WebGPU buffer pool costs per step. The caller says
// how a backend is started (Node and the browser differ) and hears progress.
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../engine/backend';
import type { PresetName } from '../engine/config';
import { decodeCostByPosition, type DecodeCost } from '../engine/decode_cost';
import { fusedKernelsOn, switchFusedKernels } from '../engine/kernels/fused';
import { initParams } from '../engine/model';
import {
  benchConfig,
  benchPreset,
  compareRows,
  type BenchComparison,
  type BenchOptions,
  type BenchRow,
  type KernelPath,
} from './bench';
import { measureFirstStep, type FirstStepRow } from './first_step';
import { measurePoolTrim, type PoolTrimRow } from './pool_trim';

export interface SuiteOptions {
  backends: BackendName[];
  presets: PresetName[];
  steps: number; // timed training steps per run
  compare: boolean; // also the fused kernels (WebGPU only), with stock/fused ratios
  firstStep: boolean; // time to first step, with and without precompile
  submitBatches: number[]; // WebGPU submit batch sizes to time on the fused path; [] skips
  decodeCost: boolean; // dispatches and ms per token early and late in a generation
  poolTrim: boolean; // WebGPU: ms per step with the buffer pool trimmed after every step, against untrimmed
}

/** Shapes shared by every run: 8 rows of 64 tokens to train; 8 prompts of 16 tokens, 32 new tokens each. */
export const BENCH_SHAPES = { batchSize: 8, seqLen: 64, genBatch: 8, promptLen: 16, genTokens: 32 };

export interface DecodeCostRow {
  backend: string;
  preset: PresetName;
  kernels: KernelPath;
  windows: DecodeCost[];
}

export interface SuiteResult {
  date: string;
  tfjs: string;
  environments: string[]; // one line per backend that ran (its adapter)
  skipped: string[]; // backends that could not start, with why
  rows: BenchRow[];
  comparisons: BenchComparison[];
  firstSteps: FirstStepRow[];
  submitBatches: BenchRow[];
  decodeCosts: DecodeCostRow[];
  poolTrims: PoolTrimRow[];
}

/** Before each run: `done` runs of `total` are finished and `label` starts; done = total at the end. */
export interface SuiteProgress {
  done: number;
  total: number;
  label: string;
}

export interface SuiteDeps {
  /** Starts this backend; returns a one-line description, or throws saying why it cannot run here. */
  startBackend(name: BackendName): Promise<string>;
  onProgress?(p: SuiteProgress): void;
}

const pathsFor = (o: SuiteOptions, backend: BackendName): KernelPath[] =>
  o.compare && backend === 'webgpu' ? ['stock', 'fused'] : ['stock'];

/** Runs per backend and preset: benches, first-step pairs, submit batch sizes, decode cost. */
function runsPer(o: SuiteOptions, backend: BackendName): number {
  const webgpu = backend === 'webgpu';
  return (
    pathsFor(o, backend).length +
    (o.firstStep ? 2 : 0) +
    (webgpu ? o.submitBatches.length + (o.poolTrim ? 1 : 0) : 0) +
    (o.decodeCost ? 1 : 0)
  );
}

/** Early and late windows of 8 tokens, the late one ending where the context ends. */
async function decodeCostRow(preset: PresetName, kernels: KernelPath): Promise<DecodeCostRow> {
  const cfg = benchConfig(preset);
  const late = cfg.max_position_embeddings - BENCH_SHAPES.promptLen;
  const was = fusedKernelsOn();
  switchFusedKernels(kernels === 'fused');
  const params = initParams(cfg, 1);
  try {
    const windows = await decodeCostByPosition(params, cfg, {
      batch: BENCH_SHAPES.genBatch,
      promptLength: BENCH_SHAPES.promptLen,
      windows: [
        [1, 8],
        [late - 7, late],
      ],
    });
    return { backend: tf.getBackend(), preset, kernels, windows };
  } finally {
    tf.dispose(Object.values(params));
    switchFusedKernels(was);
  }
}

export async function runSuite(o: SuiteOptions, deps: SuiteDeps): Promise<SuiteResult> {
  const result: SuiteResult = {
    date: new Date().toISOString(),
    tfjs: tf.version.tfjs,
    environments: [],
    skipped: [],
    rows: [],
    comparisons: [],
    firstSteps: [],
    submitBatches: [],
    decodeCosts: [],
    poolTrims: [],
  };
  const total = o.backends.reduce((n, b) => n + runsPer(o, b) * o.presets.length, 0);
  let done = 0;
  const step = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    deps.onProgress?.({ done, total, label });
    const out = await work();
    done++;
    return out;
  };
  for (const backend of o.backends) {
    try {
      result.environments.push(await deps.startBackend(backend));
    } catch (e) {
      result.skipped.push(`${backend}: ${(e as Error).message}`);
      done += runsPer(o, backend) * o.presets.length;
      continue;
    }
    const fast = pathsFor(o, backend).at(-1)!; // the fused path where it runs
    for (const preset of o.presets) {
      const base: BenchOptions = { preset, trainSteps: o.steps, ...BENCH_SHAPES };
      const pair: BenchRow[] = [];
      for (const kernels of pathsFor(o, backend)) {
        const row = await step(`${backend}/${preset}/${kernels}`, () => benchPreset({ ...base, kernels }));
        result.rows.push(row);
        pair.push(row);
      }
      if (pair.length === 2) result.comparisons.push(compareRows(pair[0], pair[1]));
      if (o.firstStep) {
        for (const precompile of [false, true]) {
          result.firstSteps.push(
            await step(`${backend}/${preset}: first step, ${precompile ? 'precompiled' : 'no precompile'}`, () =>
              measureFirstStep({ ...base, kernels: fast }, precompile),
            ),
          );
        }
      }
      if (backend === 'webgpu') {
        for (const submitBatch of o.submitBatches) {
          result.submitBatches.push(
            await step(`${backend}/${preset}/${fast}: submit batch ${submitBatch}`, () =>
              benchPreset({ ...base, kernels: fast, submitBatch }),
            ),
          );
        }
        if (o.poolTrim)
          result.poolTrims.push(
            await step(`${backend}/${preset}/${fast}: buffer pool trim`, () =>
              measurePoolTrim({ ...base, kernels: fast }),
            ),
          );
      }
      if (o.decodeCost)
        result.decodeCosts.push(
          await step(`${backend}/${preset}/${fast}: decode cost`, () => decodeCostRow(preset, fast)),
        );
    }
  }
  deps.onProgress?.({ done: total, total, label: 'done' });
  return result;
}

// The whole benchmark as one call, for the Node CLI (scripts/bench.ts) and the browser bench page (its
// worker): for each backend and preset a run on the kernels the kernel rule picks (engine/kernel_choice.ts:
// by default fused where the self-check passes), or with `compare` the stock and fused runs and their ratios;
// optionally the time to first step with and without the shader precompile, the fused path at several
// WebGPU submit batch sizes, the decode cost early and late in a long generation, and what bounding the
// WebGPU buffer pool costs per step. The caller says
// how a backend is started and the kernels chosen (Node and the browser differ) and hears progress.
import * as tf from '@tensorflow/tfjs';
import type { BackendName, BackendReport } from '../engine/backend';
import type { PresetName } from '../engine/config';
import { decodeCostByPosition, type DecodeCost } from '../engine/decode_cost';
import { KERNEL_MODES, type KernelChoice, type KernelMode } from '../engine/kernel_choice';
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
import { bool, choice, int, intList, list, parseSettings, withDefault, type Setting } from '../train/settings';

export interface SuiteOptions {
  backends: BackendName[];
  presets: PresetName[];
  steps: number; // timed training steps per run
  compare: boolean; // stock and fused (WebGPU only), with stock/fused ratios, whatever `kernels` says
  kernels: KernelMode; // the kernels of every other run: auto = fused where the kernel self-check passes
  firstStep: boolean; // time to first step, with and without precompile
  submitBatches: number[]; // WebGPU submit batch sizes to time on the fused path; [] skips
  decodeCost: boolean; // dispatches and ms per token early and late in a generation
  poolTrim: boolean; // WebGPU: ms per step with the buffer pool trimmed after every step, against untrimmed
  loraRank: number; // > 0: train LoRA adapters of this rank on the frozen model (bench.ts's BENCH_LORA)
}

/** Every option's rule and default: the bench page's form and link, and `npm run bench`, parse through it. */
export const SUITE_SETTINGS = {
  backends: withDefault(
    list<BackendName>('Backends to run, in this order.', { items: ['webgpu', 'wasm', 'webgl', 'cpu'], minItems: 1 }),
    ['webgpu', 'wasm'],
  ),
  presets: withDefault(
    list<PresetName>('Model presets (tiny and small take minutes per step on a software GPU).', {
      items: ['nano', 'tiny', 'small'],
      minItems: 1,
    }),
    ['nano'],
  ),
  steps: withDefault(int(1, 50, 'Timed training steps per run.'), 2),
  compare: withDefault(bool('Each WebGPU run twice: stock tfjs ops, then our fused kernels, with the ratios.'), true),
  kernels: withDefault(
    choice(
      KERNEL_MODES,
      'Without the comparison, the kernels of every run: auto = fused on WebGPU where the ' +
        'kernel self-check passes.',
    ),
    'auto',
  ),
  firstStep: withDefault(
    bool("A fresh GPU device's first training step and first tokens, with and without shader precompile."),
    false,
  ),
  submitBatches: withDefault(
    intList(1, 1024, "WebGPU dispatches per queue submit to time on the fused path (tfjs's default is 15)."),
    [],
  ),
  decodeCost: withDefault(bool('Dispatches and time per token early and late in the context.'), false),
  poolTrim: withDefault(
    bool('WebGPU: ms per step with the buffer pool trimmed after every step, against untrimmed.'),
    false,
  ),
  loraRank: withDefault(
    int(0, 256, 'LoRA rank: train adapters on every projection of the frozen model; 0 = the whole model.'),
    0,
  ),
} satisfies { [K in keyof SuiteOptions]: Setting<SuiteOptions[K]> };

/** Options from text (a link's query, a CLI's flags), checked by SUITE_SETTINGS; absent ones take defaults. */
export function suiteOptions(raw: Record<string, string>, label = (key: string) => key): SuiteOptions {
  return parseSettings(SUITE_SETTINGS, raw, label, 'option');
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
  kernels: string[]; // one line per backend that ran: the kernel path in force and why
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
  /** Starts this backend and says which and why, or throws saying why it cannot run here. */
  startBackend(name: BackendName): Promise<BackendReport>;
  /** The kernel rule for the backend just started (it sets the fused switch). */
  selectKernels(mode: KernelMode, report: BackendReport): Promise<KernelChoice>;
  onProgress?(p: SuiteProgress): void;
}

/** Both paths when comparing on WebGPU, else the one the kernel rule chose. */
const pathsFor = (o: SuiteOptions, backend: BackendName, chosen: KernelPath): KernelPath[] =>
  o.compare && backend === 'webgpu' ? ['stock', 'fused'] : [chosen];

/** Runs per backend and preset: benches, first-step pairs, submit batch sizes, decode cost. */
function runsPer(o: SuiteOptions, backend: BackendName): number {
  const webgpu = backend === 'webgpu';
  return (
    pathsFor(o, backend, 'stock').length +
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
    kernels: [],
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
    let chosen: KernelPath;
    try {
      const report = await deps.startBackend(backend);
      result.environments.push(report.summary);
      deps.onProgress?.({ done, total, label: `${backend}: choosing the kernels (a self-check, once per adapter)` });
      const choice = await deps.selectKernels(o.kernels, report);
      result.kernels.push(`${backend}: ${choice.summary}`);
      chosen = choice.path;
    } catch (e) {
      result.skipped.push(`${backend}: ${(e as Error).message}`);
      done += runsPer(o, backend) * o.presets.length;
      continue;
    }
    const paths = pathsFor(o, backend, chosen);
    const fast = paths.at(-1)!; // the fused path where it runs
    for (const preset of o.presets) {
      const base: BenchOptions = { preset, trainSteps: o.steps, ...BENCH_SHAPES, loraRank: o.loraRank };
      const pair: BenchRow[] = [];
      for (const kernels of paths) {
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

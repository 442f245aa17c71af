// A real model's benchmark as one call, for `npm run bench -- --model` (a process per run, scripts/bench_model.ts)
// and the bench page (its worker, every run in one context): its decode with the frozen matrices in half
// precision and in float32, side by side (bench/real_model.ts), or its training steps (bench/train_step.ts), and
// the decode figures other runtimes published for the same model (bench/published.ts). The caller says how the
// backend is started, the kernels chosen and the model's files opened, and hears progress.
import * as tf from '@tensorflow/tfjs';
import type { BackendReport } from '../engine/backend';
import { modelFromSource } from '../engine/checkpoint';
import { WEIGHT_PRECISIONS, type WeightPrecision } from '../engine/f16_weights';
import { resetDeviceBytesPeak, trimGpuPool } from '../engine/gpu_pool';
import { type ModelSource, readConfig } from '../engine/hf/source';
import type { KernelChoice, KernelMode } from '../engine/kernel_choice';
import { bool, int, list, parseSettings, withDefault, type Setting } from '../train/settings';
import { publishedFor, type PublishedFigure } from './published';
import { benchRealModel, type HostMemory, type ModelBenchRow } from './real_model';
import { SUITE_SETTINGS, type SuiteProgress } from './suite';
import { benchTrainSteps, TRAIN_MODE, type TrainBenchRow } from './train_step';

export interface ModelSuiteOptions {
  kernels: KernelMode; // auto = fused on WebGPU where the kernel self-check passes
  weights: WeightPrecision[]; // WebGPU: a decode run each, side by side; elsewhere the first, held in f32
  promptTokens: number;
  newTokens: number;
  loraRank: number; // > 0: decode with adapters of this rank on every projection (unpacked weights)
  train: string[]; // training steps to measure instead of decoding: full, lora<r>, lora<r>f16
  batch: number; // with train: sequences a step (GRPO: the group G)
  seqLen: number;
  trainSteps: number;
  microBatch: number;
  recompute: boolean;
  grpo: boolean;
}

/** Every option's rule and default: the bench page's model form and `npm run bench -- --model` parse through it. */
export const MODEL_SUITE_SETTINGS = {
  kernels: SUITE_SETTINGS.kernels,
  weights: withDefault(
    list<WeightPrecision>('WebGPU: how the frozen matrices are held, a decode run each (f16 = half precision).', {
      items: WEIGHT_PRECISIONS,
      minItems: 1,
    }),
    ['f16', 'f32'],
  ),
  promptTokens: withDefault(int(1, 4096, 'Prompt tokens before decoding.'), 32),
  newTokens: withDefault(int(2, 4096, 'Tokens decoded after the prompt (greedy, no early stop).'), 8),
  loraRank: withDefault(int(0, 256, 'Decode with LoRA adapters of this rank on every projection; 0 = none.'), 0),
  train: withDefault(
    list('Training steps to measure instead of decoding: full, lora<rank>[f16] (f16: half-precision base).', {
      check: (m) => (TRAIN_MODE.test(m) ? null : `"${m}" is not full, lora<rank> or lora<rank>f16`),
      itemIs: 'full, lora<rank> or lora<rank>f16',
      minItems: 0,
    }),
    [],
  ),
  batch: withDefault(int(1, 1024, 'Training: sequences per step (GRPO: judgements in the group).'), 2),
  seqLen: withDefault(int(2, 8192, 'Training: tokens per sequence (distillation).'), 64),
  trainSteps: withDefault(int(1, 100, 'Training: timed steps after the warm-up step.'), 2),
  microBatch: withDefault(
    int(0, 1024, 'Training: sequences per forward/backward, gradients summed (0: the whole batch).'),
    0,
  ),
  recompute: withDefault(bool("Training: recompute each block's activations in the backward pass."), false),
  grpo: withDefault(
    bool('Training: a GRPO step (batch judgements of new-tokens, scored, loss, update), not distillation.'),
    false,
  ),
} satisfies { [K in keyof ModelSuiteOptions]: Setting<ModelSuiteOptions[K]> };

/** Options from text (a link's query, a form), checked by MODEL_SUITE_SETTINGS; absent ones take defaults. */
export function modelSuiteOptions(raw: Record<string, string>, label = (key: string) => key): ModelSuiteOptions {
  return parseSettings(MODEL_SUITE_SETTINGS, raw, label, 'option');
}

export interface ModelSuiteResult {
  date: string;
  model: string;
  environments: string[]; // the backend and the kernels in force
  skipped: string[];
  rows: ModelBenchRow[]; // decode, one per weight precision
  trainRows: TrainBenchRow[];
  published: PublishedFigure[]; // other runtimes' own figures for the model this checkpoint has the shape of
}

export const emptyModelSuiteResult = (model: string): ModelSuiteResult => ({
  date: new Date().toISOString(),
  model,
  environments: [],
  skipped: [],
  rows: [],
  trainRows: [],
  published: [],
});

export interface ModelSuiteDeps {
  /** Starts the backend and says which and why, or throws saying why it cannot run here. */
  startBackend(): Promise<BackendReport>;
  /** The kernel rule for the backend just started (it sets the fused switch). */
  selectKernels(mode: KernelMode, report: BackendReport): Promise<KernelChoice>;
  /** The model's files (a folder, the cache, the Hub through the cache). */
  openSource(): Promise<ModelSource>;
  /** The process's memory, where the caller can read it (Node). */
  hostMemory?(): HostMemory;
  onProgress?(p: SuiteProgress): void;
}

/** Runs of this options' kind on this backend: a decode per weight precision on WebGPU, else one. */
export const decodeRuns = (o: ModelSuiteOptions, backend: string): WeightPrecision[] =>
  backend === 'webgpu' ? o.weights : o.weights.slice(0, 1);

export async function runModelSuite(o: ModelSuiteOptions, deps: ModelSuiteDeps): Promise<ModelSuiteResult> {
  const say = (done: number, total: number, label: string) => deps.onProgress?.({ done, total, label });
  say(0, 1, 'starting the backend');
  const report = await deps.startBackend();
  say(0, 1, `${report.name}: choosing the kernels (a self-check, once per adapter)`);
  const choice = await deps.selectKernels(o.kernels, report);
  const source = await deps.openSource();
  const cfg = await readConfig(source);
  const result: ModelSuiteResult = {
    ...emptyModelSuiteResult(source.name),
    environments: [report.summary, `kernels on ${report.name}: ${choice.summary}`],
    published: publishedFor(cfg),
  };
  // each run starts from an empty buffer pool, so its memory is its own
  const fresh = () => {
    if (report.name === 'webgpu') trimGpuPool(0);
    resetDeviceBytesPeak();
  };
  if (o.train.length) {
    say(0, 1, `loading ${source.name}`);
    const m = await modelFromSource(source);
    try {
      fresh();
      const t = { modes: o.train, batch: o.batch, seqLen: o.seqLen, steps: o.trainSteps, recompute: o.recompute };
      const grpo = o.grpo ? { newTokens: o.newTokens } : null;
      const onStep = (label: string) => say(0, 1, `${grpo ? 'GRPO' : 'training'} ${label}`);
      result.trainRows = await benchTrainSteps(source.name, m, {
        ...t,
        microBatch: o.microBatch,
        grpo,
        kernels: choice.path,
        onStep,
      });
    } finally {
      tf.dispose(Object.values(m.params));
    }
    say(1, 1, 'done');
    return result;
  }
  const runs = decodeRuns(o, report.name);
  for (const [i, weights] of runs.entries()) {
    fresh();
    // to infer with only: packed as it loads (engine/packed_weights.ts), unless adapters go on it
    const load = (s: ModelSource) => modelFromSource(s, { pack: o.loraRank === 0, weights });
    const bench = { promptTokens: o.promptTokens, newTokens: o.newTokens, loraRank: o.loraRank };
    const onPhase = (phase: string) => say(i, runs.length, `${weights} weights: ${phase}`);
    result.rows.push(await benchRealModel(source, load, { ...bench, kernels: choice.path, onPhase }, deps.hostMemory));
  }
  fresh();
  say(runs.length, runs.length, 'done');
  return result;
}

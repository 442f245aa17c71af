// The engine benchmark: for one backend and one preset, training tokens/s, generation tokens/s (batch
// of 8, KV cache on), kernels and GPU dispatches per training step and per generated token, readbacks
// per step, and peak tensors and bytes. Runs anywhere tfjs runs (bench/suite.ts drives it for the Node
// CLI, scripts/bench.ts, and the browser's bench.html). Counts come from wrapping the live backend
// (engine/instrument.ts), not estimates. A run may set the WebGPU submit batch size.
// Each run takes the stock tfjs ops or the fused WebGPU kernels (engine/kernels/fused.ts);
// compareRows puts the two side by side as stock/fused ratios.
// Dispatches per layer are measured, not divided out: one more training step of the same model cut to
// one layer gives the fixed part (embedding, final norm, head, loss, clipping and the optimizer for the
// non-layer parameters), and (dispatches − fixed) / (L − 1) is what each further layer adds (forward,
// backward and its parameters' optimizer update). With L = 1 it is dispatches/step ÷ 1.
// With loraRank > 0 the model trains LoRA adapters (BENCH_LORA) on its frozen weights, as a LoRA run does, and
// generates with them on: the dispatches their extra matmuls add, per layer and per token.
import * as tf from '@tensorflow/tfjs';
import { presetConfig, type LlamaConfig, type PresetName } from '../engine/config';
import { generate } from '../engine/generate';
import { installCounters, type Counts } from '../engine/instrument';
import type { KernelPath } from '../engine/kernel_choice';
import { fusedKernelsOn, switchFusedKernels } from '../engine/kernels/fused';
import { addLora, LORA_TARGETS, type LoraSettings } from '../engine/lora';
import { initParams, type ModelParams } from '../engine/model';
import { ADAMW_MOMENTS } from '../engine/optimizer';
import { countParams } from '../engine/param_names';
import { createRng } from '../engine/rng';
import { defaultTokenizer } from '../engine/tokenizer';
import { createLmTrainer, type LmBatch } from '../train/lm_step';

export interface BenchOptions {
  preset: PresetName;
  trainSteps: number; // timed steps after one warm-up step
  batchSize: number; // training rows
  seqLen: number; // training tokens per row
  genBatch: number; // sequences generated at once
  promptLen: number;
  genTokens: number; // new tokens per sequence (no early stop)
  kernels?: KernelPath; // default 'stock'
  // WebGPU dispatches per queue submit (tfjs flag WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE); default: tfjs's 15
  submitBatch?: number;
  loraRank?: number; // > 0: LoRA adapters of this rank (BENCH_LORA) trained on the frozen model
}

/** The adapters of a LoRA bench run: every projection, s = α / r = 2, no dropout (its masks add dispatches). */
export const BENCH_LORA = (rank: number): LoraSettings => ({
  rank,
  alpha: 2 * rank,
  dropout: 0,
  targets: LORA_TARGETS,
  rslora: false,
});

/** A fresh model for a run, with adapters when it is a LoRA run. */
function benchParams(cfg: LlamaConfig, loraRank = 0): ModelParams {
  const params = initParams(cfg, 1);
  if (loraRank > 0) addLora(params, cfg, BENCH_LORA(loraRank), { seed: 1 });
  return params;
}

export type { KernelPath } from '../engine/kernel_choice';

export interface BenchRow {
  backend: string;
  preset: PresetName;
  kernels: KernelPath;
  lora: number; // the adapters' rank; 0: the whole model trained
  submitBatch: number | null; // the submit batch size in force on WebGPU, else null
  params: number;
  layers: number; // num_hidden_layers
  train: {
    tokensPerSecond: number;
    msPerStep: number;
    kernelsPerStep: number;
    dispatchesPerStep: number;
    readbacksPerStep: number;
    peakTensors: number;
    peakBytes: number;
    dispatchesPerLayer: number; // what one more decoder layer adds to a step (see the header)
    fixedDispatches: number; // the rest of a step: dispatchesPerStep = fixed + layers · perLayer
  };
  generate: {
    tokensPerSecond: number;
    msPerToken: number;
    kernelsPerToken: number;
    dispatchesPerToken: number;
    readbacks: number;
    peakTensors: number;
    peakBytes: number;
  };
  leakedTensors: number;
}

const per = (c: Counts, n: number) => ({
  kernels: c.kernels / n,
  dispatches: c.gpuDispatches / n,
  readbacks: c.readbacks / n,
});

export const TRAIN_HP = { lr: 1e-3, ...ADAMW_MOMENTS, weightDecay: 0.01, maxGradNorm: 1 };

/** GPU dispatches of one training step (after a warm-up step) of a fresh model with this config. */
async function stepDispatches(cfg: LlamaConfig, batch: LmBatch, loraRank = 0): Promise<number> {
  const params = benchParams(cfg, loraRank);
  const trainer = createLmTrainer(params, cfg, TRAIN_HP);
  await trainer.step(batch, 1e-3);
  const counters = installCounters();
  counters.reset();
  await trainer.step(batch, 1e-3);
  counters.uninstall();
  trainer.dispose();
  tf.dispose(Object.values(params));
  return counters.counts.gpuDispatches;
}

const SUBMIT_FLAG = 'WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE';

/** One benchmark run with o.kernels' ops and o.submitBatch; the switch and the flag are restored afterwards. */
export async function benchPreset(o: BenchOptions): Promise<BenchRow> {
  const was = fusedKernelsOn();
  const webgpu = tf.getBackend() === 'webgpu';
  const submitWas = webgpu ? (tf.env().get(SUBMIT_FLAG) as number) : null;
  switchFusedKernels(o.kernels === 'fused');
  if (webgpu && o.submitBatch !== undefined) tf.env().set(SUBMIT_FLAG, o.submitBatch);
  try {
    return await benchRun(o);
  } finally {
    switchFusedKernels(was);
    if (submitWas !== null) tf.env().set(SUBMIT_FLAG, submitWas);
  }
}

/** The training batch of a run: o.batchSize rows of seeded random tokens, every target counted. */
export function benchBatch(cfg: LlamaConfig, o: BenchOptions): LmBatch {
  const T = Math.min(o.seqLen, cfg.max_position_embeddings - 1);
  const rng = createRng(7);
  const batch: LmBatch = { ids: [], targets: [], mask: [] };
  for (let b = 0; b < o.batchSize; b++) {
    const r = Array.from({ length: T + 1 }, () => 4 + rng.int(cfg.vocab_size - 4));
    batch.ids.push(r.slice(0, T));
    batch.targets.push(r.slice(1));
    batch.mask.push(new Array(T).fill(1));
  }
  return batch;
}

/** A preset's config with the char tokenizer's 120 tokens: every bench figure uses these shapes. */
export function benchConfig(preset: PresetName): LlamaConfig {
  const tok = defaultTokenizer();
  return presetConfig(preset, {
    vocab_size: tok.vocabSize,
    bos_token_id: tok.bosId,
    eos_token_id: tok.eosId,
    pad_token_id: tok.padId,
  });
}

async function benchRun(o: BenchOptions): Promise<BenchRow> {
  const cfg = benchConfig(o.preset);
  const batch = benchBatch(cfg, o);
  const T = batch.ids[0].length;
  const rng = createRng(8);
  const startTensors = tf.memory().numTensors;
  const params = benchParams(cfg, o.loraRank);
  const trainer = createLmTrainer(params, cfg, TRAIN_HP);

  await trainer.step(batch, 1e-3); // warm-up: shader compiles, buffer pools
  const counters = installCounters();
  counters.reset();
  let t0 = performance.now();
  for (let s = 0; s < o.trainSteps; s++) await trainer.step(batch, 1e-3);
  const trainMs = (performance.now() - t0) / o.trainSteps;
  const tc = { ...counters.counts };
  const tp = per(tc, o.trainSteps);

  const prompts = Array.from({ length: o.genBatch }, () =>
    Array.from({ length: o.promptLen }, () => 4 + rng.int(cfg.vocab_size - 4)),
  );
  const genOpts = { maxNewTokens: o.genTokens, temperature: 1, seed: 3, eosIds: [], padId: cfg.pad_token_id };
  await generate(params, cfg, prompts, { ...genOpts, maxNewTokens: 2 }); // warm-up
  counters.reset();
  t0 = performance.now();
  const out = await generate(params, cfg, prompts, genOpts);
  const genMs = performance.now() - t0;
  const gc = { ...counters.counts };
  counters.uninstall();
  const steps = Math.max(...out.tokens.map((t) => t.length));
  const gp = per(gc, steps);

  trainer.dispose();
  tf.dispose(Object.values(params));
  const leakedTensors = tf.memory().numTensors - startTensors;
  // D(L) = fixed + L·layer and D(1) = fixed + layer, so layer = (D(L) − D(1)) / (L − 1)
  const L = cfg.num_hidden_layers;
  // (no GPU dispatches, as on WASM: nothing to split, so the one-layer step is not run)
  const one =
    L > 1 && tp.dispatches > 0
      ? await stepDispatches({ ...cfg, num_hidden_layers: 1 }, batch, o.loraRank)
      : tp.dispatches;
  const layer = L > 1 ? (tp.dispatches - one) / (L - 1) : tp.dispatches;
  return {
    backend: tf.getBackend(),
    preset: o.preset,
    kernels: o.kernels ?? 'stock',
    lora: o.loraRank ?? 0,
    submitBatch: tf.getBackend() === 'webgpu' ? (tf.env().get(SUBMIT_FLAG) as number) : null,
    params: countParams(cfg),
    layers: L,
    train: {
      tokensPerSecond: (o.batchSize * T) / (trainMs / 1000),
      msPerStep: trainMs,
      kernelsPerStep: tp.kernels,
      dispatchesPerStep: tp.dispatches,
      readbacksPerStep: tp.readbacks,
      peakTensors: tc.peakTensors,
      peakBytes: tc.peakBytes,
      dispatchesPerLayer: layer,
      fixedDispatches: tp.dispatches - L * layer,
    },
    generate: {
      tokensPerSecond: (o.genBatch * steps) / (genMs / 1000),
      msPerToken: genMs / steps,
      kernelsPerToken: gp.kernels,
      dispatchesPerToken: gp.dispatches,
      readbacks: gc.readbacks,
      peakTensors: gc.peakTensors,
      peakBytes: gc.peakBytes,
    },
    leakedTensors,
  };
}

/** The figures compareRows sets side by side: [label, value]. */
export const COMPARED: [string, (r: BenchRow) => number][] = [
  ['ms/step', (r) => r.train.msPerStep],
  ['train tok/s', (r) => r.train.tokensPerSecond],
  ['dispatches/step', (r) => r.train.dispatchesPerStep],
  ['dispatches/layer/step', (r) => r.train.dispatchesPerLayer],
  ['fixed dispatches/step', (r) => r.train.fixedDispatches],
  ['kernels/step', (r) => r.train.kernelsPerStep],
  ['readbacks/step', (r) => r.train.readbacksPerStep],
  ['peak MB (train)', (r) => r.train.peakBytes / 2 ** 20],
  ['gen tok/s', (r) => r.generate.tokensPerSecond],
  ['dispatches/token', (r) => r.generate.dispatchesPerToken],
  ['kernels/token', (r) => r.generate.kernelsPerToken],
  ['gen readbacks', (r) => r.generate.readbacks],
];

export interface BenchComparison {
  backend: string;
  preset: PresetName;
  lora: number; // the adapters' rank (0: none)
  /**
   * label → [stock, fused, stock/fused]: above 1 the fused path is lower (better for times and counts, worse for
   * tok/s).
   */
  figures: Record<string, [number, number, number]>;
}

/** The stock and fused runs of one backend and preset, figure by figure. */
export function compareRows(stock: BenchRow, fused: BenchRow): BenchComparison {
  const figures = Object.fromEntries(
    COMPARED.map(([label, get]) => [label, [get(stock), get(fused), get(stock) / get(fused)]]),
  ) as BenchComparison['figures'];
  return { backend: stock.backend, preset: stock.preset, lora: stock.lora, figures };
}

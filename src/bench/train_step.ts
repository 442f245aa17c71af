// The training step of one real model on the backend in force: full fine-tuning against LoRA at given ranks
// (every projection adapted), each a distillation step (masked NLL, backward, clip, AdamW) on a fixed batch of
// the model's own tokens, or a whole GRPO step (sample G judgements of one pair, score, advantages, loss with
// the KL to π_ref, update): π_ref is a frozen copy of the weights for full fine-tuning and the policy with its
// adapters off for LoRA, as in a run. Per setting: parameters trained, memory at its peak (tfjs's count of
// live tensor bytes, which counts a view again; on WebGPU the buffers in use, and the buffers held, the pool's
// included) beside the training memory plan's figure for the same step, ms per step after a warm-up step that
// compiles the shaders, and kernels and GPU dispatches per layer of a step.
// `lora<r>f16` holds the frozen base in half precision (engine/f16_base.ts, WebGPU; GRPO's sampling projects
// through it and the adapters, nothing merged): the f32 weights wait on the host meanwhile and are put back
// after, so the next mode sees the model as it was.
import * as tf from '@tensorflow/tfjs';
import type { RunnableModel } from '../engine/checkpoint';
import { deviceBytesHeld, resetDeviceBytesPeak, trimGpuPool } from '../engine/gpu_pool';
import { installCounters } from '../engine/instrument';
import type { KernelPath } from '../engine/kernel_choice';
import { halvableWeights, halveFrozenWeights } from '../engine/f16_base';
import { addLora, LORA_TARGETS, removeLora } from '../engine/lora';
import { planTraining, type TrainMemoryRequest } from '../engine/train_memory';
import type { Pair } from '../rm/pair';
import { modelPrompt } from '../rm/cor_prompt';
import { createGrpoRun, GRPO_DEFAULTS } from '../train/grpo_run';
import { createLmTrainer, type LmBatch } from '../train/lm_step';
import { grpoPassShape } from '../train/run_memory';
import { TRAIN_HP } from './bench';

/** `full`, or `lora<r>` (e.g. lora8): LoRA of rank r on every projection, α = 2r; `lora<r>f16` on an f16 base. */
export type TrainMode = string;
export const TRAIN_MODE = /^(full|lora[1-9]\d*(f16)?)$/;

export interface TrainBenchOptions {
  modes: TrainMode[];
  batch: number;
  seqLen: number;
  steps: number; // timed steps after the warm-up step
  microBatch: number; // sequences per forward/backward, gradients summed (0: the whole batch)
  recompute: boolean;
  kernels: KernelPath;
  /** A GRPO step instead of distillation: `batch` judgements (G) of `newTokens` tokens each. */
  grpo: { newTokens: number } | null;
  /** Hears each step as it starts: the setting, and the warm-up step or which timed step. */
  onStep?: (label: string) => void;
}

export interface TrainBenchRow {
  stage: 'sft' | 'grpo';
  model: string;
  backend: string;
  kernels: KernelPath;
  mode: TrainMode;
  recompute: boolean;
  batch: number; // sequences per step (GRPO: the group G)
  seqLen: number; // tokens per sequence (GRPO: the prompt's and the judgement's)
  params: number;
  trained: number;
  peakTensorBytes: number; // tfjs's live tensor bytes at their peak over the timed steps, the weights included
  peakDeviceBytes: number | null; // WebGPU: the buffers in use at their peak (views once); null elsewhere
  heldDeviceBytes: number | null; // WebGPU: the buffers allocated at their most, the pool's included
  plannedBytes: number; // engine/train_memory.ts's step peak for the same step
  firstStepSeconds: number; // the warm-up step, shader compilation included
  msPerStep: number; // the median of the timed steps
  kernelsPerLayer: number; // per step ÷ layers
  dispatchesPerLayer: number; // 0 off WebGPU
}

/** A batch of `rows` sequences of the model's own ids (a question, repeated), the loss on all but the first. */
function batchOf(m: RunnableModel, rows: number, T: number): LmBatch {
  const once = m.tok.encode('Which response answers the question better, A or B? Explain, then decide. ').ids;
  const seq: number[] = [];
  while (seq.length < T + 1) seq.push(...once);
  const ids = Array.from({ length: rows }, (_, b) => seq.slice(b % 3, (b % 3) + T));
  const targets = Array.from({ length: rows }, (_, b) => seq.slice((b % 3) + 1, (b % 3) + T + 1));
  return { ids, targets, mask: ids.map((r) => r.map((_, t) => (t === 0 ? 0 : 1))) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The pair every GRPO step judges: short, so the prompt is mostly the judge's instructions. */
const BENCH_PAIR: Pair = {
  id: 'bench:1',
  prompt: 'Which number is larger, 7 or 9?',
  a: '9 is larger.',
  b: '7 is larger.',
  winner: 'A',
  source: 'bench',
};

/** A step of the chosen kind on the model as it is now (adapters on or not); disposed by the caller. */
function stepper(m: RunnableModel, o: TrainBenchOptions) {
  if (o.grpo) {
    const g = {
      ...GRPO_DEFAULTS,
      numGenerations: o.batch,
      promptsPerStep: 1,
      bothOrders: false,
      maxCompletionLength: o.grpo.newTokens,
      steps: 1_000_000,
      lr: 1e-5,
      microBatch: o.microBatch,
      recompute: o.recompute,
    };
    const run = createGrpoRun(m.params, m.cfg, m.tok, g, [BENCH_PAIR]);
    return { step: async () => void (await run.step()), dispose: () => run.dispose() };
  }
  const batch = batchOf(m, o.batch, o.seqLen);
  const memory = { microBatch: o.microBatch, recompute: o.recompute };
  const trainer = createLmTrainer(m.params, m.cfg, { ...TRAIN_HP, lr: 1e-5, ...memory });
  return { step: async () => void (await trainer.step(batch, 1e-5)), dispose: () => trainer.dispose() };
}

/** What the training memory plan is asked for the same step. */
function planRequest(m: RunnableModel, o: TrainBenchOptions, rank: number, half: boolean) {
  const lora = rank ? { rank, targets: LORA_TARGETS } : null;
  const { microBatch, recompute } = o;
  const baseWeights = half ? ('f16' as const) : ('f32' as const);
  const req: TrainMemoryRequest = { rows: o.batch, microBatch, length: o.seqLen, recompute, lora, baseWeights };
  if (!o.grpo) return { ...req, T: o.seqLen };
  const promptTokens = modelPrompt(m.tok, BENCH_PAIR).ids.length;
  const newTokens = o.grpo.newTokens;
  const { length, headTokens } = grpoPassShape(promptTokens, newTokens, GRPO_DEFAULTS.lengthBucket);
  const sampling = { sequences: o.batch, prompts: 1, promptTokens, newTokens, headTokens };
  return { ...req, length, sampling, T: length };
}

/** Measures each mode on the loaded model (LoRA added and removed again; the base is left as it was). */
export async function benchTrainSteps(name: string, m: RunnableModel, o: TrainBenchOptions): Promise<TrainBenchRow[]> {
  const rows: TrainBenchRow[] = [];
  const L = m.cfg.num_hidden_layers;
  for (const mode of o.modes) {
    if (!TRAIN_MODE.test(mode)) throw new Error(`bench --train: "${mode}" is not full, lora<rank> or lora<rank>f16`);
    const half = mode.endsWith('f16');
    const rank = mode === 'full' ? 0 : Number(mode.slice(4, half ? -3 : undefined));
    if (rank) addLora(m.params, m.cfg, { rank, alpha: 2 * rank, dropout: 0, targets: LORA_TARGETS, rslora: false });
    const kept = half ? await hostCopies(m.params) : null;
    if (half) await halveFrozenWeights(m.params);
    const step = stepper(m, o);
    const counters = installCounters();
    try {
      const t0 = performance.now();
      o.onStep?.(`${mode}: the warm-up step (compiles the shaders)`);
      await step.step();
      const firstStepSeconds = (performance.now() - t0) / 1000;
      trimGpuPool(0); // the timed steps' own buffers, not the warm-up's
      resetDeviceBytesPeak();
      counters.reset();
      const ms: number[] = [];
      for (let s = 0; s < o.steps; s++) {
        const t = performance.now();
        o.onStep?.(`${mode}: timed step ${s + 1} of ${o.steps}`);
        await step.step();
        ms.push(performance.now() - t);
      }
      const { T, ...req } = planRequest(m, o, rank, half);
      const onGpu = tf.getBackend() === 'webgpu';
      const path = o.kernels === 'fused' && onGpu ? 'fused' : 'stock';
      const plan = planTraining(m.cfg, req, { maxBufferSize: Infinity, maxStorageBufferBindingSize: Infinity, path });
      rows.push({
        stage: o.grpo ? 'grpo' : 'sft',
        model: name,
        backend: tf.getBackend(),
        kernels: o.kernels,
        mode,
        recompute: o.recompute,
        batch: o.batch,
        seqLen: T,
        params: plan.params,
        trained: plan.trained,
        peakTensorBytes: counters.counts.peakBytes,
        peakDeviceBytes: onGpu ? counters.counts.peakDeviceBytes : null,
        heldDeviceBytes: onGpu ? deviceBytesHeld() : null,
        plannedBytes: plan.totalBytes,
        firstStepSeconds,
        msPerStep: median(ms),
        kernelsPerLayer: counters.counts.kernels / o.steps / L,
        dispatchesPerLayer: counters.counts.gpuDispatches / o.steps / L,
      });
      console.log(JSON.stringify(rows[rows.length - 1]));
    } finally {
      counters.uninstall();
      step.dispose();
      if (kept) restore(m.params, kept);
      if (rank) removeLora(m.params);
    }
  }
  return rows;
}

/** The f32 data of the weights halveFrozenWeights would replace, by name. */
async function hostCopies(params: Record<string, tf.Variable>) {
  const out: Record<string, { data: Float32Array; shape: number[] }> = {};
  for (const n of halvableWeights(params))
    out[n] = { data: (await params[n].data()) as Float32Array, shape: params[n].shape };
  return out;
}

/** Puts the f32 weights back in place of their half-precision words (still frozen). */
function restore(params: Record<string, tf.Variable>, kept: Awaited<ReturnType<typeof hostCopies>>): void {
  for (const [n, { data, shape }] of Object.entries(kept)) {
    params[n].dispose();
    params[n] = tf.tidy(() => tf.variable(tf.tensor(data, shape), false));
  }
}

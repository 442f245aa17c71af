// The training step of one real model on the backend in force: full fine-tuning against LoRA at given ranks
// (every projection adapted), each a distillation step (masked NLL, backward, clip, AdamW) on a fixed batch of
// the model's own tokens. Per setting: parameters trained, live tensor bytes at their peak (on WebGPU, GPU
// memory) beside the training memory plan's figure for the same step, ms per step after a warm-up step that
// compiles the shaders, and kernels and GPU dispatches per layer of a step. One readback per step.
// `lora<r>f16` holds the frozen base in half precision (engine/f16_base.ts, WebGPU): the f32 weights wait on
// the host meanwhile and are put back after, so the next mode sees the model as it was.
import * as tf from '@tensorflow/tfjs';
import type { RunnableModel } from '../engine/checkpoint';
import { installCounters } from '../engine/instrument';
import type { KernelPath } from '../engine/kernel_choice';
import { halvableWeights, halveFrozenWeights } from '../engine/f16_base';
import { addLora, LORA_TARGETS, removeLora } from '../engine/lora';
import { planTraining } from '../engine/train_memory';
import { createLmTrainer, type LmBatch } from '../train/lm_step';
import { TRAIN_HP } from './bench';

/** `full`, or `lora<r>` (e.g. lora8): LoRA of rank r on every projection, α = 2r; `lora<r>f16` on an f16 base. */
export type TrainMode = string;
export const TRAIN_MODE = /^(full|lora[1-9]\d*(f16)?)$/;

export interface TrainBenchOptions {
  modes: TrainMode[];
  batch: number;
  seqLen: number;
  steps: number; // timed steps after the warm-up step
  recompute: boolean;
  kernels: KernelPath;
}

export interface TrainBenchRow {
  model: string;
  backend: string;
  kernels: KernelPath;
  mode: TrainMode;
  recompute: boolean;
  batch: number;
  seqLen: number;
  params: number;
  trained: number;
  peakTensorBytes: number; // live tensor bytes at their peak over the timed steps, the weights included
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

/** Measures each mode on the loaded model (LoRA added and removed again; the base is left as it was). */
export async function benchTrainSteps(name: string, m: RunnableModel, o: TrainBenchOptions): Promise<TrainBenchRow[]> {
  const rows: TrainBenchRow[] = [];
  const batch = batchOf(m, o.batch, o.seqLen);
  const L = m.cfg.num_hidden_layers;
  for (const mode of o.modes) {
    if (!TRAIN_MODE.test(mode)) throw new Error(`bench --train: "${mode}" is not full, lora<rank> or lora<rank>f16`);
    const half = mode.endsWith('f16');
    const rank = mode === 'full' ? 0 : Number(mode.slice(4, half ? -3 : undefined));
    if (rank) addLora(m.params, m.cfg, { rank, alpha: 2 * rank, dropout: 0, targets: LORA_TARGETS, rslora: false });
    const kept = half ? await hostCopies(m.params) : null;
    if (half) await halveFrozenWeights(m.params);
    const trainer = createLmTrainer(m.params, m.cfg, { ...TRAIN_HP, lr: 1e-5, recompute: o.recompute });
    const counters = installCounters();
    try {
      const t0 = performance.now();
      await trainer.step(batch, 1e-5);
      const firstStepSeconds = (performance.now() - t0) / 1000;
      counters.reset();
      const ms: number[] = [];
      for (let s = 0; s < o.steps; s++) {
        const t = performance.now();
        await trainer.step(batch, 1e-5);
        ms.push(performance.now() - t);
      }
      const plan = planTraining(
        m.cfg,
        {
          rows: o.batch,
          microBatch: 0,
          length: o.seqLen,
          recompute: o.recompute,
          lora: rank ? { rank, targets: LORA_TARGETS } : null,
          baseWeights: half ? 'f16' : 'f32',
        },
        { maxBufferSize: Infinity, maxStorageBufferBindingSize: Infinity },
      );
      rows.push({
        model: name,
        backend: tf.getBackend(),
        kernels: o.kernels,
        mode,
        recompute: o.recompute,
        batch: o.batch,
        seqLen: o.seqLen,
        params: plan.params,
        trained: plan.trained,
        peakTensorBytes: counters.counts.peakBytes,
        plannedBytes: plan.totalBytes,
        firstStepSeconds,
        msPerStep: median(ms),
        kernelsPerLayer: counters.counts.kernels / o.steps / L,
        dispatchesPerLayer: counters.counts.gpuDispatches / o.steps / L,
      });
      console.log(JSON.stringify(rows[rows.length - 1]));
    } finally {
      counters.uninstall();
      trainer.dispose();
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

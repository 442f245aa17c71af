// The step times behind the backend choice (engine/backend_choice.ts) and a run's estimate
// (train/run_estimate.ts): one warm training step and warm decode steps of a model on the backend in force,
// with the kernels the fused switch selects. Warm = after a first step that compiles the shaders; that first
// step is timed too (what a first visit costs). The training batch is the bench's (bench.ts), the decode
// steps decode_cost.ts's, with a KV cache as long as a judgement's generation sizes it (a step reads every
// slot). A time budget, checked between steps, stops the probe once it is over: a software GPU takes minutes
// per step where WASM takes seconds (a browser also terminates the probe's worker; worker/probe_client.ts).
import * as tf from '@tensorflow/tfjs';
import type { BackendName, BackendReport } from '../engine/backend';
import type { Candidate, Measurement, ProbeShape, StepTimes } from '../engine/backend_choice';
import type { LlamaConfig } from '../engine/config';
import { decodeCostByPosition } from '../engine/decode_cost';
import { throwIfDeviceError } from '../engine/device_errors';
import type { KernelChoice } from '../engine/kernel_choice';
import { fusedKernelsOn, switchFusedKernels } from '../engine/kernels/fused';
import { initParams } from '../engine/model';
import { createLmTrainer } from '../train/lm_step';
import { benchBatch, type BenchOptions, TRAIN_HP } from './bench';

/** The recipe's distillation batch (16 rows of ~96 tokens); decoding 16 and 192 rows (an evaluation batch is
 * 96, a GRPO step 32 prompts × 6) with a cache of 48 prompt + 144 judgement tokens. */
export function probeShape(cfg: LlamaConfig): ProbeShape {
  const ctx = cfg.max_position_embeddings;
  return {
    batch: 16,
    seqLen: Math.min(96, ctx - 1),
    decodeBatches: [16, 192],
    promptLength: 8,
    cacheLength: Math.min(192, ctx),
  };
}

export type { ProbeShape, StepTimes };

/** The probe's outcome: every time, or where it stopped and why. */
export type Probe = { times: StepTimes } | { stopped: string; firstStepMs: number; totalMs: number };

/** Warm training steps timed, the fastest kept: the first warm steps still grow the heap and the buffer pool,
 * and another process can stall any one of them: the mean of the first two put a run's estimate 35% over. */
const WARM_STEPS = 3;
const DECODE_WINDOWS: [number, number][] = [
  [1, 2], // compiles the decode step's shaders
  [3, 6], // timed
];

/** Times `cfg`'s steps on the backend in force; stops once the probe has run past `budgetMs`. */
export async function measureStepTimes(cfg: LlamaConfig, shape: ProbeShape, budgetMs = Infinity): Promise<Probe> {
  const t0 = performance.now();
  const since = () => performance.now() - t0;
  const o = { batchSize: shape.batch, seqLen: shape.seqLen } as BenchOptions;
  const batch = benchBatch(cfg, o);
  const params = initParams(cfg, 1);
  const trainer = createLmTrainer(params, cfg, TRAIN_HP);
  const over = (what: string) =>
    `stopped after ${what}: ${(since() / 1000).toFixed(1)} s, over the budget of ` +
    `${(budgetMs / 1000).toFixed(1)} s`;
  try {
    let t = performance.now();
    await trainer.step(batch, 1e-3);
    const firstStepMs = performance.now() - t;
    if (since() > budgetMs) return { stopped: over('the first training step'), firstStepMs, totalMs: since() };
    let trainMs = Infinity;
    for (let i = 0; i < WARM_STEPS; i++) {
      t = performance.now();
      await trainer.step(batch, 1e-3);
      trainMs = Math.min(trainMs, performance.now() - t);
    }
    const decodeMs: number[] = [];
    for (const rows of shape.decodeBatches) {
      if (since() > budgetMs) return { stopped: over('its decode steps'), firstStepMs, totalMs: since() };
      const [, timed] = await decodeCostByPosition(params, cfg, {
        batch: rows,
        promptLength: shape.promptLength,
        cacheLength: shape.cacheLength,
        windows: DECODE_WINDOWS,
      });
      decodeMs.push(timed.msPerToken);
    }
    return { times: { shape, firstStepMs, trainMs, decodeMs, totalMs: since() } };
  } finally {
    trainer.dispose();
    tf.dispose(Object.values(params));
  }
}

/** How a probe starts a backend and learns the kernel rule's verdict on it (Node and a browser worker differ). */
export interface CandidateDeps {
  /** Starts this backend alone, or throws saying why it cannot run here. */
  start(name: BackendName): Promise<BackendReport>;
  /** The kernel rule's choice on this WebGPU backend (the self-check, once per adapter). */
  kernels(report: BackendReport): Promise<KernelChoice>;
  /** Called as the timing starts: the backend is up and its kernels chosen (a browser arms its budget then). */
  onTiming?(): void;
}

const failure = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** One candidate's probe: its backend started, its kernels switched on (fused only where the self-check
 * passes), its steps timed within the budget; never throws, a failure is the measurement's note. */
export async function measureCandidate(
  c: Candidate,
  cfg: LlamaConfig,
  budgetMs: number,
  deps: CandidateDeps,
): Promise<Measurement> {
  const none = (note: string): Measurement => ({ id: c.id, times: null, note });
  let report: BackendReport;
  try {
    report = await deps.start(c.backend);
  } catch (e) {
    return none(`cannot start: ${failure(e)}`);
  }
  if (c.kernels === 'fused') {
    const k = await deps.kernels(report);
    if (k.path !== 'fused') return none(`not measured: ${k.summary}`);
  }
  const was = fusedKernelsOn();
  switchFusedKernels(c.kernels === 'fused');
  try {
    deps.onTiming?.();
    const p = await measureStepTimes(cfg, probeShape(cfg), budgetMs);
    throwIfDeviceError(`${c.label}'s probe`); // a failed dispatch computed nothing: its times mean nothing
    return 'times' in p ? { id: c.id, times: p.times, note: null } : none(p.stopped);
  } catch (e) {
    return none(`the probe failed: ${failure(e)}`);
  } finally {
    switchFusedKernels(was);
  }
}

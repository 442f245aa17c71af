// What bounding the WebGPU buffer pool costs (engine/gpu_pool.ts): training steps whose length changes
// every step, as GRPO's do, timed in alternating rounds without a trim and with the worst case, a trim
// after every step (the pipeline trims only past a cap). Every shape is compiled first, so the difference
// is what re-creating the step's buffers costs. Also the pool's free bytes at the end of each round.
import * as tf from '@tensorflow/tfjs';
import type { PresetName } from '../engine/config';
import { fusedKernelsOn, switchFusedKernels } from '../engine/kernels/fused';
import { gpuPoolFreeBytes, trimGpuPool } from '../engine/gpu_pool';
import { initParams } from '../engine/model';
import { createLmTrainer } from '../train/lm_step';
import { benchBatch, benchConfig, TRAIN_HP, type BenchOptions, type KernelPath } from './bench';

export interface PoolTrimRow {
  backend: string;
  preset: PresetName;
  kernels: KernelPath;
  lengths: number[]; // one step at each, per pass
  rounds: number; // alternating untrimmed / trimmed rounds, 2 passes each
  msPerStepUntrimmed: number; // mean over rounds
  msPerStepTrimmed: number;
  ratio: number; // trimmed / untrimmed
  poolUntrimmedMB: number; // free bytes kept at the end of the last untrimmed round
  poolTrimmedMB: number;
}

/** Steps at each of `lengths` in turn, rows of `o.batchSize` (the bench's training batch at other lengths). */
export async function measurePoolTrim(
  o: BenchOptions,
  lengths = [16, 32, 48, 64, 80, 96],
  rounds = 3,
): Promise<PoolTrimRow> {
  const cfg = benchConfig(o.preset);
  const kernels = o.kernels ?? 'stock';
  const was = fusedKernelsOn();
  switchFusedKernels(kernels === 'fused');
  const params = initParams(cfg, 1);
  const trainer = createLmTrainer(params, cfg, TRAIN_HP);
  const batches = lengths.map((seqLen) => benchBatch(cfg, { ...o, seqLen }));
  try {
    for (const b of batches) await trainer.step(b, 1e-3); // compile every shape
    const ms = { untrimmed: [] as number[], trimmed: [] as number[] };
    let poolUntrimmed = 0,
      poolTrimmed = 0;
    for (let r = 0; r < rounds; r++) {
      for (const trim of [false, true]) {
        const t0 = performance.now();
        for (let pass = 0; pass < 2; pass++) {
          for (const b of batches) {
            await trainer.step(b, 1e-3); // its one readback: the step's work is done
            if (trim) trimGpuPool(0);
          }
        }
        (trim ? ms.trimmed : ms.untrimmed).push((performance.now() - t0) / (2 * batches.length));
        if (trim) poolTrimmed = gpuPoolFreeBytes();
        else poolUntrimmed = gpuPoolFreeBytes();
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const u = mean(ms.untrimmed),
      t = mean(ms.trimmed);
    return {
      backend: tf.getBackend(),
      preset: o.preset,
      kernels,
      lengths,
      rounds,
      msPerStepUntrimmed: u,
      msPerStepTrimmed: t,
      ratio: t / u,
      poolUntrimmedMB: poolUntrimmed / 2 ** 20,
      poolTrimmedMB: poolTrimmed / 2 ** 20,
    };
  } finally {
    trainer.dispose();
    tf.dispose(Object.values(params));
    switchFusedKernels(was);
  }
}

// Time to first step: how long a fresh engine takes to finish its first training step and its first
// generated tokens, with and without the shader precompile (engine/precompile.ts). On WebGPU each
// measurement starts on a new device (the backend is removed and registered again), so no pipeline
// compiled by an earlier run is reused; a browser's on-disk shader cache may still help, so a reload
// measures warmer than a first visit. The warm step after it shows what the first one costs extra.
// On other backends there is nothing to compile: the figures are the first step's and the precompile 0.
import * as tf from '@tensorflow/tfjs';
import type { PresetName } from '../engine/config';
import { generate } from '../engine/generate';
import { fusedKernelsOn, switchFusedKernels } from '../engine/kernels/fused';
import { initParams } from '../engine/model';
import { precompileGeneration, precompileTraining } from '../engine/precompile';
import { createLmTrainer } from '../train/lm_step';
import { benchBatch, benchConfig, TRAIN_HP, type BenchOptions, type KernelPath } from './bench';

export interface FirstStepRow {
  backend: string;
  preset: PresetName;
  kernels: KernelPath;
  precompile: boolean;
  pipelines: number; // compiled by the two precompiles (0 without)
  trainPrecompileMs: number; // part of firstStepMs
  firstStepMs: number; // model ready → first training step done, its precompile included
  warmStepMs: number; // the second step
  genPrecompileMs: number; // part of firstTokensMs; most pipelines are the training step's, compiled by then
  firstTokensMs: number; // after the steps → first two generated tokens, their precompile included
}

/** Replaces the WebGPU backend by a new one on a new device: an empty pipeline cache and buffer pool. */
export async function restartWebGPU(): Promise<void> {
  const registry = tf.engine().registryFactory;
  const { factory, priority } = registry.webgpu;
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', factory, priority);
  if (!(await tf.setBackend('webgpu'))) throw new Error('the WebGPU backend did not start again');
}

/** One cold start with o's shapes and kernels, precompiled or not. */
export async function measureFirstStep(o: BenchOptions, precompile: boolean): Promise<FirstStepRow> {
  const was = fusedKernelsOn();
  switchFusedKernels(o.kernels === 'fused');
  try {
    if (tf.getBackend() === 'webgpu') await restartWebGPU();
    const cfg = benchConfig(o.preset);
    const batch = benchBatch(cfg, o);
    const params = initParams(cfg, 1);
    const trainer = createLmTrainer(params, cfg, TRAIN_HP);
    let pipelines = 0,
      trainPrecompileMs = 0,
      genPrecompileMs = 0;
    try {
      let t0 = performance.now();
      if (precompile) {
        const pre = await precompileTraining(cfg, { batchSize: batch.ids.length, seqLen: batch.ids[0].length });
        pipelines += pre.pipelines;
        trainPrecompileMs = pre.ms;
      }
      await trainer.step(batch, 1e-3);
      const firstStepMs = performance.now() - t0;
      t0 = performance.now();
      await trainer.step(batch, 1e-3);
      const warmStepMs = performance.now() - t0;

      const prompts = batch.ids.slice(0, o.genBatch).map((r) => r.slice(0, o.promptLen));
      t0 = performance.now();
      if (precompile) {
        const pre = await precompileGeneration(cfg, prompts.length, o.promptLen);
        pipelines += pre.pipelines;
        genPrecompileMs = pre.ms;
      }
      await generate(params, cfg, prompts, {
        maxNewTokens: 2,
        temperature: 1,
        seed: 3,
        eosIds: [],
        padId: cfg.pad_token_id,
      });
      const firstTokensMs = performance.now() - t0;
      return {
        backend: tf.getBackend(),
        preset: o.preset,
        kernels: o.kernels ?? 'stock',
        precompile,
        pipelines,
        trainPrecompileMs,
        firstStepMs,
        warmStepMs,
        genPrecompileMs,
        firstTokensMs,
      };
    } finally {
      trainer.dispose();
      tf.dispose(Object.values(params));
    }
  } finally {
    switchFusedKernels(was);
  }
}

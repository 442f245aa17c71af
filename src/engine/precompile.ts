// Shader precompile: compiles every WGSL pipeline some work would run, all requested at once (a driver
// may compile them in parallel), without running any of it. tfjs-backend-webgpu's WEBGPU_ENGINE_COMPILE_ONLY makes each
// program call
// createComputePipelineAsync and skip its dispatch; checkCompileCompletionAsync then waits for them all.
// Without it the first training step compiles one pipeline at a time, each blocking the next (tfjs #5689).
// Compile-only work computes nothing: outputs are uninitialised buffers, so the work must use throwaway
// parameters (an optimizer step would write garbage into them), and reads are answered with zeros so the
// caller's own code (a loss readback, a sampled token) runs on. On other backends it does nothing.
// Where it belongs in the app: the worker, right after initBackend picks WebGPU and before the first
// training step or generation (precompileTraining and precompileGeneration with the run's preset and
// batch shapes, e.g. while the page shows "compiling shaders").
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { LlamaConfig } from './config';
import { generate } from './generate';
import { initParams, maskedNll, type ModelParams } from './model';
import { ADAMW_MOMENTS, clipCoefficient, createAdamW } from './optimizer';

interface CompilingBackend {
  pipelineCache: Record<string, unknown>;
  checkCompileCompletionAsync(): Promise<void>;
  read(dataId: object): Promise<unknown>;
  tensorMap: { get(dataId: object): { shape: number[]; dtype: tf.DataType } };
}

export interface PrecompileReport {
  pipelines: number; // new pipelines compiled
  ms: number; // wall time, recording plus compiling
}

/** Runs `work` in compile-only mode and waits for every pipeline it asked for. No-op off WebGPU. */
export async function precompile(work: () => unknown): Promise<PrecompileReport> {
  if (tf.getBackend() !== 'webgpu') return { pipelines: 0, ms: 0 };
  const backend = tf.backend() as unknown as CompilingBackend; // pipelineCache is private in tfjs's types
  const before = Object.keys(backend.pipelineCache).length;
  const t0 = performance.now();
  const ownRead = Object.hasOwn(backend, 'read');
  const read = backend.read;
  backend.read = async (dataId) => {
    const { shape, dtype } = backend.tensorMap.get(dataId);
    const n = shape.reduce((a, b) => a * b, 1);
    return dtype === 'int32' || dtype === 'bool' ? new Int32Array(n) : new Float32Array(n);
  };
  tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', true);
  try {
    await work();
  } finally {
    tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', false);
    if (ownRead) backend.read = read;
    else delete (backend as Partial<CompilingBackend>).read;
  }
  await backend.checkCompileCompletionAsync();
  return { pipelines: Object.keys(backend.pipelineCache).length - before, ms: performance.now() - t0 };
}

/**
 * Throwaway parameters, on the device: new tensors start on the CPU, and tfjs runs small ops whose inputs
 * are all there on the CPU, so they would skip programs that a used model's parameters go through.
 */
function throwawayParams(cfg: LlamaConfig): ModelParams {
  const params = initParams(cfg, 0);
  const backend = tf.backend() as WebGPUBackend; // precompile runs this on WebGPU only
  for (const v of Object.values(params)) backend.uploadToGPU(v.dataId);
  return params;
}

/** One training step's shape: rows × tokens of masked next-token loss, as in train/lm_step.ts. */
export interface StepShape {
  batchSize: number;
  seqLen: number;
}

/**
 * Precompiles a training step of this model config and shape: forward, masked NLL, backward, global-norm
 * clipping and AdamW, the same ops as train/lm_step.ts (and GRPO's backward and update), on throwaway
 * parameters. Takes the fused kernels if they are switched on.
 */
export function precompileTraining(cfg: LlamaConfig, shape: StepShape): Promise<PrecompileReport> {
  return precompile(() => {
    const params = throwawayParams(cfg);
    const adam = createAdamW(params, { lr: 1e-3, ...ADAMW_MOMENTS, weightDecay: 0.01 });
    try {
      tf.tidy(() => {
        const ids = tf.zeros([shape.batchSize, shape.seqLen], 'int32') as tf.Tensor2D;
        const mask = tf.ones([shape.batchSize, shape.seqLen]) as tf.Tensor2D;
        const { value, grads } = tf.variableGrads(() => maskedNll(params, cfg, ids, ids, mask), Object.values(params));
        const named = Object.fromEntries(Object.entries(params).map(([n, v]) => [n, grads[v.name]]));
        const { coef, norm } = clipCoefficient(named, 1);
        adam.apply(named, 1e-3, coef ?? undefined);
        return tf.stack([value, norm]); // what the step reads back
      }).dispose();
    } finally {
      adam.dispose();
      tf.dispose(Object.values(params));
    }
  });
}

/** Precompiles batched generation (prefill, decode with the KV cache, sampling) for this many prompts. */
export function precompileGeneration(cfg: LlamaConfig, batch: number, promptLen: number): Promise<PrecompileReport> {
  return precompile(async () => {
    const params = throwawayParams(cfg);
    try {
      // distinct prompts (generate prefills identical ones once): the prefill over all `batch` rows
      const prompts = Array.from({ length: batch }, (_, i) => [
        ...new Array(promptLen - 1).fill(cfg.bos_token_id),
        i % cfg.vocab_size,
      ]);
      // two tokens: the prefill and one decode step, each with its sampling
      await generate(params, cfg, prompts, {
        maxNewTokens: 2,
        temperature: 1,
        seed: 0,
        eosIds: [],
        padId: cfg.pad_token_id,
      });
    } finally {
      tf.dispose(Object.values(params));
    }
  });
}

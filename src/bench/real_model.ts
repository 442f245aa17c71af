// The benchmark of one real model (a Hugging Face checkpoint) on the backend in force: load time, weight bytes
// as stored and as computed (f32), peak tensor bytes (the device memory tfjs holds), the GPU buffer pool on
// WebGPU, host memory when the caller can read it, prefill and decode tokens/s, and kernels and GPU dispatches
// per decoded token. Greedy, batch 1, a `promptTokens` prompt, never stopping early, one readback at the end: a
// first generation of 2 tokens compiles the shaders and is timed on its own; then prefill is one generation of
// 1 token (the prompt's forward, a sample, the readback), and decode is what a generation of `newTokens` costs
// beyond it, per token after the first (time, kernels and GPU dispatches alike). The weights as loaded: f16
// or f32 matrices (engine/f16_weights.ts), their bytes on the device, and the GB/s decode reads them at (every
// weight is read once per token, so bytes × tokens/s; norms and biases included, the KV cache not).
import * as tf from '@tensorflow/tfjs';
import type { RunnableModel } from '../engine/checkpoint';
import { hasF16Weights, type WeightPrecision } from '../engine/f16_weights';
import { generate } from '../engine/generate';
import type { ModelSource } from '../engine/hf/source';
import { installCounters } from '../engine/instrument';
import type { KernelPath } from '../engine/kernel_choice';
import { addLora } from '../engine/lora';
import { countParams } from '../engine/param_names';
import { BENCH_LORA } from './bench';

export interface ModelBenchOptions {
  promptTokens: number;
  newTokens: number; // at least 2: decode is timed between the first token and the last
  kernels: KernelPath;
  loraRank?: number; // > 0: LoRA adapters of this rank (bench.ts's BENCH_LORA) on while it generates
  /** Hears each phase as it starts: loading, the first generation, prefill, decode. */
  onPhase?: (phase: string) => void;
}

/** What the caller measures outside tfjs: the process's resident memory now and at its peak (Node). */
export interface HostMemory {
  rss: number;
  peakRss: number;
}

export interface ModelBenchRow {
  model: string;
  architecture: string;
  params: number;
  backend: string;
  kernels: KernelPath;
  lora: number; // the adapters' rank; 0: none
  weightBytesStored: number; // the safetensors files
  weightBytesF32: number; // as computed: 4 bytes a parameter
  loadSeconds: number; // config, tokenizer and every tensor read, converted and uploaded
  rssBeforeLoad: number | null; // the runtime alone (backend started), when the caller reads host memory
  peakRss: number | null; // the process's peak, load and generation included
  peakTensorBytes: number; // live tensor bytes at their peak (the model, the KV cache, activations)
  peakDeviceBytes: number | null; // WebGPU: the buffers in use at their peak (a view counted once)
  gpuPoolBytes: number | null; // WebGPU: bytes of GPU buffers allocated after the run (in use and pooled)
  promptTokens: number;
  newTokens: number;
  firstGenerationSeconds: number; // the warm-up generation, shader compilation included
  prefillSeconds: number;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  kernelsPerToken: number;
  dispatchesPerToken: number; // 0 off WebGPU
  weights: WeightPrecision; // how the frozen matrices were held (f16: half-precision words, WebGPU)
  weightBytesOnDevice: number; // the loaded params' tensor bytes (adapters excluded)
  weightGBPerSecond: number; // weight bytes read per decoded token × decode tokens/s (decode reads each once)
}

/** `n` prompt ids: the tokenizer's reading of a plain question, repeated until long enough. */
function promptIds(m: RunnableModel, n: number): number[] {
  const once = m.tok.encode('Which response answers the question better, A or B? Explain, then decide. ').ids;
  const ids: number[] = [];
  while (ids.length < n) ids.push(...once);
  return ids.slice(0, n);
}

const architectureOf = (m: RunnableModel) => (m.cfg as { architectures?: string[] }).architectures?.[0] ?? 'unknown';

function gpuPoolBytes(): number | null {
  const mem = tf.memory() as { numBytesAllocatedInGPU?: number };
  return tf.getBackend() === 'webgpu' && typeof mem.numBytesAllocatedInGPU === 'number'
    ? mem.numBytesAllocatedInGPU
    : null;
}

/** Loads the model from `source` with `load`, measures it, and disposes it. The kernels must already be set. */
export async function benchRealModel(
  source: ModelSource,
  load: (s: ModelSource) => Promise<RunnableModel>,
  o: ModelBenchOptions,
  hostMemory?: () => HostMemory,
): Promise<ModelBenchRow> {
  if (o.newTokens < 2) throw new Error(`benchRealModel: newTokens must be at least 2 (got ${o.newTokens})`);
  const rssBeforeLoad = hostMemory?.().rss ?? null;
  const counters = installCounters();
  let m: RunnableModel | null = null;
  try {
    const t0 = performance.now();
    o.onPhase?.('loading');
    m = await load(source);
    const weightBytesOnDevice = Object.values(m.params).reduce((n, t) => n + t.size * 4, 0); // f32, int32 words
    const weights = hasF16Weights(m.params) ? 'f16' : 'f32';
    if (o.loraRank) addLora(m.params, m.cfg, BENCH_LORA(o.loraRank), { seed: 1 });
    const loadSeconds = (performance.now() - t0) / 1000;
    const model = m;
    const prompt = promptIds(model, o.promptTokens);
    const run = async (newTokens: number) => {
      const t = performance.now();
      await generate(model.params, model.cfg, [prompt], {
        maxNewTokens: newTokens,
        temperature: 0,
        seed: 1,
        eosIds: [],
        padId: model.tok.padId,
        readEvery: newTokens,
      });
      return (performance.now() - t) / 1000;
    };
    o.onPhase?.('first generation (compiles the shaders)');
    const firstGenerationSeconds = await run(2);
    // the same work as the timed run but the tokens after the first: their difference is the decode
    const c0 = { ...counters.counts };
    o.onPhase?.('prefill');
    const prefillSeconds = await run(1);
    const c1 = { ...counters.counts };
    o.onPhase?.(`decode of ${o.newTokens} tokens`);
    const decodeSeconds = (await run(o.newTokens)) - prefillSeconds;
    const decoded = o.newTokens - 1;
    // a decode shorter than the two runs' noise (a tiny model, a loaded machine) has no figure rather than a
    // negative one
    const perSecond = (x: number) => (decodeSeconds > 0 ? x / decodeSeconds : Number.NaN);
    const perToken = (k: 'kernels' | 'gpuDispatches') => (counters.counts[k] - c1[k] - (c1[k] - c0[k])) / decoded;
    const params = countParams(model.cfg);
    const storedBytes = source.files.filter((f) => f.path.endsWith('.safetensors')).reduce((n, f) => n + f.size, 0);
    return {
      model: source.name,
      architecture: architectureOf(model),
      params,
      backend: tf.getBackend(),
      kernels: o.kernels,
      lora: o.loraRank ?? 0,
      weightBytesStored: storedBytes,
      weightBytesF32: 4 * params,
      loadSeconds,
      rssBeforeLoad,
      peakRss: hostMemory?.().peakRss ?? null,
      peakTensorBytes: counters.counts.peakBytes,
      peakDeviceBytes: tf.getBackend() === 'webgpu' ? counters.counts.peakDeviceBytes : null,
      gpuPoolBytes: gpuPoolBytes(),
      promptTokens: prompt.length,
      newTokens: o.newTokens,
      firstGenerationSeconds,
      prefillSeconds,
      prefillTokensPerSecond: prompt.length / prefillSeconds,
      decodeTokensPerSecond: perSecond(decoded),
      kernelsPerToken: perToken('kernels'),
      dispatchesPerToken: perToken('gpuDispatches'),
      weights,
      weightBytesOnDevice,
      weightGBPerSecond: perSecond((weightBytesOnDevice * decoded) / 1e9),
    };
  } finally {
    counters.uninstall();
    if (m) tf.dispose(Object.values(m.params));
  }
}

// The engine benchmark: for one backend and one preset, training tokens/s, generation tokens/s (batch
// of 8, KV cache on), kernels and GPU dispatches per training step and per generated token, readbacks
// per step, and peak tensors and bytes. Runs anywhere tfjs runs (Node CLI in scripts/bench.ts; the
// browser later). Counts come from wrapping the live backend (engine/instrument.ts), not estimates.
import * as tf from '@tensorflow/tfjs';
import { presetConfig, type PresetName } from '../engine/config';
import { generate } from '../engine/generate';
import { installCounters, type Counts } from '../engine/instrument';
import { initParams } from '../engine/model';
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
}

export interface BenchRow {
  backend: string;
  preset: PresetName;
  params: number;
  train: { tokensPerSecond: number; msPerStep: number; kernelsPerStep: number; dispatchesPerStep: number; readbacksPerStep: number; peakTensors: number; peakBytes: number };
  generate: { tokensPerSecond: number; msPerToken: number; kernelsPerToken: number; dispatchesPerToken: number; readbacks: number; peakTensors: number; peakBytes: number };
  leakedTensors: number;
}

const per = (c: Counts, n: number) => ({ kernels: c.kernels / n, dispatches: c.gpuDispatches / n, readbacks: c.readbacks / n });

export async function benchPreset(o: BenchOptions): Promise<BenchRow> {
  const tok = defaultTokenizer();
  const cfg = presetConfig(o.preset, { vocab_size: tok.vocabSize, bos_token_id: tok.bosId, eos_token_id: tok.eosId, pad_token_id: tok.padId });
  const T = Math.min(o.seqLen, cfg.max_position_embeddings - 1);
  const rng = createRng(7);
  const row = () => Array.from({ length: T + 1 }, () => 4 + rng.int(tok.vocabSize - 4));
  const batch: LmBatch = { ids: [], targets: [], mask: [] };
  for (let b = 0; b < o.batchSize; b++) {
    const r = row();
    batch.ids.push(r.slice(0, T));
    batch.targets.push(r.slice(1));
    batch.mask.push(new Array(T).fill(1));
  }
  const startTensors = tf.memory().numTensors;
  const params = initParams(cfg, 1);
  const trainer = createLmTrainer(params, cfg, { lr: 1e-3, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 });

  await trainer.step(batch, 1e-3); // warm-up: shader compiles, buffer pools
  const counters = installCounters();
  counters.reset();
  let t0 = performance.now();
  for (let s = 0; s < o.trainSteps; s++) await trainer.step(batch, 1e-3);
  const trainMs = (performance.now() - t0) / o.trainSteps;
  const tc = { ...counters.counts };
  const tp = per(tc, o.trainSteps);

  const prompts = Array.from({ length: o.genBatch }, () => row().slice(0, o.promptLen));
  const genOpts = { maxNewTokens: o.genTokens, temperature: 1, seed: 3, eosId: -1, padId: tok.padId };
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
  return {
    backend: tf.getBackend(),
    preset: o.preset,
    params: countParams(cfg),
    train: {
      tokensPerSecond: (o.batchSize * T) / (trainMs / 1000), msPerStep: trainMs,
      kernelsPerStep: tp.kernels, dispatchesPerStep: tp.dispatches, readbacksPerStep: tp.readbacks,
      peakTensors: tc.peakTensors, peakBytes: tc.peakBytes,
    },
    generate: {
      tokensPerSecond: (o.genBatch * steps) / (genMs / 1000), msPerToken: genMs / steps,
      kernelsPerToken: gp.kernels, dispatchesPerToken: gp.dispatches, readbacks: gc.readbacks,
      peakTensors: gc.peakTensors, peakBytes: gc.peakBytes,
    },
    leakedTensors: tf.memory().numTensors - startTensors,
  };
}

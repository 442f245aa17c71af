// What one generated token costs at different depths of a generation: GPU dispatches, kernels and wall
// time per token for windows of token indices (e.g. tokens 1–16 against 200–216). The cache is
// preallocated at [B, Hkv, Tmax, D] and every step has the same shapes, so the counts must be equal and
// the times close; an O(T) cache (a growing concat) would show here. For the benchmark and the tests.
// A token's cost is generate()'s step: the sampling step (greedy) and the decode step, with whatever the
// fused switch selects. Windows are timed between two readbacks, so a window's time includes its GPU work.
// Leaves out: the prefill, and readbacks inside a window (generate() reads once per 16 tokens).
// Run the tests: npx vitest run src/engine/decode.test.ts (the dispatch counts, on WebGPU)
import * as tf from '@tensorflow/tfjs';
import type { LlamaConfig } from './config';
import { decodeStep, decodeWeights } from './decode';
import { createStepSampler, leftPad, prefill } from './generate';
import { installCounters } from './instrument';
import { fusedKernelsOn, onWebGPU } from './kernels/fused';
import { createKVCache } from './kv_cache';
import type { ModelParams } from './model';

export interface DecodeCost {
  from: number; // first generated token of the window (1-based)
  to: number; // last, inclusive
  dispatchesPerToken: number; // GPU dispatches (0 off WebGPU)
  kernelsPerToken: number; // tfjs kernels run
  msPerToken: number; // wall time, GPU work included
}

/**
 * Generates max(to) tokens greedily for `batch` prompts of `promptLength` tokens and measures each window
 * [from, to] of generated-token indices (1-based, inclusive; windows in increasing order, not overlapping).
 * The cache holds `cacheLength` positions (default: prompt + max(to)), as generate() sizes it for a longer
 * generation: a step reads every slot, so a short probe of a long generation costs what its steps cost.
 */
export async function decodeCostByPosition(
  p: ModelParams,
  cfg: LlamaConfig,
  o: { batch: number; promptLength: number; windows: [number, number][]; cacheLength?: number },
): Promise<DecodeCost[]> {
  const steps = Math.max(...o.windows.map(([, to]) => to));
  const P = o.promptLength,
    B = o.batch;
  const S = o.cacheLength ?? P + steps;
  if (S < P + steps || S > cfg.max_position_embeddings)
    throw new Error(
      `decodeCostByPosition: a cache of ${S} must hold ${P} + ${steps} tokens within the context of ` +
        `${cfg.max_position_embeddings}`,
    );
  const prompts = Array.from({ length: B }, (_, b) =>
    Array.from({ length: P }, (_, t) => (b + 3 * t) % cfg.vocab_size),
  );
  const padded = leftPad(prompts, cfg.pad_token_id);
  const cache = createKVCache(cfg, B, S);
  const packed = fusedKernelsOn() && onWebGPU() ? decodeWeights(p, cfg) : undefined;
  const sampler = createStepSampler(B, steps, {
    maxNewTokens: steps,
    temperature: 0,
    seed: 1,
    eosIds: [],
    padId: cfg.pad_token_id,
  });
  let logits = tf.tidy(() =>
    prefill(p, cfg, cache, tf.tensor2d(padded.ids, [B, P], 'int32'), tf.tensor2d(padded.mask, [B, P], 'int32')),
  );
  const out: DecodeCost[] = [];
  try {
    for (const [from, to] of o.windows) {
      if (from < 1 || to < from || (out.length > 0 && from <= out[out.length - 1].to))
        throw new Error(`decodeCostByPosition: bad window [${from}, ${to}]`);
      for (let i = out.at(-1)?.to ?? 0; i < from - 1; i++) logits = step(i);
      await logits.data(); // the GPU is idle when the clock starts
      const counters = installCounters();
      counters.reset();
      const t0 = performance.now();
      for (let i = from - 1; i < to; i++) logits = step(i);
      await logits.data();
      const ms = performance.now() - t0;
      counters.uninstall();
      const n = to - from + 1;
      out.push({
        from,
        to,
        dispatchesPerToken: counters.counts.gpuDispatches / n,
        kernelsPerToken: counters.counts.kernels / n,
        msPerToken: ms / n,
      });
    }
  } finally {
    tf.dispose(logits);
    sampler.dispose();
    packed?.dispose();
    cache.dispose();
  }
  return out;

  /** Token i + 1: sample it from the current logits, then feed it; returns the next logits. */
  function step(i: number): tf.Tensor2D {
    const ids = sampler.sample(logits, i);
    const next = decodeStep(
      p,
      cfg,
      cache,
      ids,
      padded.lengths.map((n) => n + i),
      P + i,
      packed,
    );
    tf.dispose([ids, logits]);
    return next;
  }
}

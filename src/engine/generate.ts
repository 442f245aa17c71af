// Batched generation with the KV cache: left-padded prefill (HF positions), then one decode step per
// token for the whole batch (decode.ts). Identical prompts (GRPO's G judgements of one pair) are prefilled
// once and their keys, values and last logits copied to each of their rows: the prefill's compute and
// activations scale with the distinct prompts, not the batch. Sampling runs on the device; token ids and
// log-probs are read back in one readback per `readEvery` tokens. Finished sequences keep their slot but
// are masked (next tokens forced to <pad>), never re-run. Each sequence stops at any of its stop ids (kept;
// Qwen has two) or at the length cap. The KV cache holds prompt + new tokens, whatever the model's context.
// With the fused switch on WebGPU, a step is decode.ts's fused block plus ONE sampling program
// (kernels/sample.ts) that also masks finished rows and records ids and log-probs for the readback in
// place; otherwise stock ops (sampling.ts, tf.where masks, a stack per readback).
import * as tf from '@tensorflow/tfjs';
import { checkWithinWindow, type LlamaConfig } from './config';
import { decodeStep, decodeWeights } from './decode';
import { fusedKernelsOn, onWebGPU } from './kernels/fused';
import { createSamplerState, sampleIntoFused } from './kernels/sample';
import { createKVCache, writePrefix, writePrefixMask, type KVCache } from './kv_cache';
import { block, embedTokens, head, maskTensors, type ModelParams } from './model';
import { ropeTables } from './rope_tables';
import { GREEDY_BELOW, sampleTokensStock, stepSeed } from './sampling';

export interface GenerateOptions {
  maxNewTokens: number;
  temperature: number; // 0 = greedy
  topK?: number;
  topP?: number;
  seed: number;
  eosIds: readonly number[]; // a sequence ends at any of these (TextTokenizer.eosIds); []: never early (benchmarks)
  padId: number;
  readEvery?: number; // tokens per readback (default 16)
  onTokens?: (newTokens: number[][]) => void | Promise<void>; // streamed per readback, per sequence; awaited
}

export type StopReason = 'eos' | 'length';

export interface GenerateResult {
  tokens: number[][]; // generated ids per sequence, the stop id included when it stopped at one
  logProbs: number[][]; // log p of each generated token at the sampling temperature (full distribution)
  stopReasons: StopReason[];
}

/** Left-pads prompts to one length; returns ids, the attention mask and each prompt's real length. */
export function leftPad(prompts: number[][], padId: number): { ids: number[][]; mask: number[][]; lengths: number[] } {
  const P = Math.max(...prompts.map((p) => p.length));
  return {
    ids: prompts.map((p) => [...new Array(P - p.length).fill(padId), ...p]),
    mask: prompts.map((p) => [...new Array(P - p.length).fill(0), ...new Array(p.length).fill(1)]),
    lengths: prompts.map((p) => p.length),
  };
}

/** Where each distinct row of `rows` first stands, and for each row the index of its copy among them. */
export function distinctRows(rows: number[][]): { first: number[]; of: number[] } {
  const seen = new Map<string, number>();
  const first: number[] = [];
  const of = rows.map((r, i) => {
    const key = r.join(',');
    let u = seen.get(key);
    if (u === undefined) {
      u = first.push(i) - 1;
      seen.set(key, u);
    }
    return u;
  });
  return { first, of };
}

/**
 * Runs the padded prompts [U, P] through the model, filling the cache; returns last-position logits. With
 * `rowsOf` (cache row → prompt row, length B) each prompt's keys, values, mask and logits fill every cache
 * row that holds it ([B, V] out); without, prompt row b is cache row b ([U, V]).
 */
export function prefill(
  p: ModelParams,
  cfg: LlamaConfig,
  cache: KVCache,
  ids: tf.Tensor2D,
  mask: tf.Tensor2D,
  rowsOf?: readonly number[],
): tf.Tensor2D {
  return tf.tidy(() => {
    const [U, P] = ids.shape;
    const of = rowsOf ? tf.tensor1d([...rowsOf], 'int32') : null;
    const toCache = <T extends tf.Tensor>(x: T): T => (of ? (tf.gather(x, of) as T) : x);
    const { positions, bias } = maskTensors(mask, P);
    const { cos, sin } = ropeTables(tf.expandDims(positions, 1), cfg, P);
    let x = embedTokens(p, ids);
    // a tidy per layer: only the stream outlives a layer (no gradients here), so the prefill holds one
    // layer's intermediates, not every layer's
    for (let l = 0; l < cfg.num_hidden_layers; l++) {
      const prev = x;
      x = tf.tidy(() =>
        block(p, cfg, l, prev, cos, sin, bias, (kv) => {
          writePrefix(cache, l, toCache(kv.k), toCache(kv.v));
          return kv;
        }),
      );
      if (l > 0) prev.dispose();
    }
    writePrefixMask(cache, toCache(mask));
    const last = tf.slice(x, [0, P - 1, 0], [U, 1, -1]);
    return toCache(tf.reshape(head(p, cfg, last), [U, -1]) as tf.Tensor2D);
  });
}

export async function generate(
  p: ModelParams,
  cfg: LlamaConfig,
  prompts: number[][],
  o: GenerateOptions,
): Promise<GenerateResult> {
  const ctx = cfg.max_position_embeddings;
  prompts.forEach((pr, i) => {
    if (pr.length === 0) throw new Error(`generate: prompt ${i} is empty (start it with <bos>)`);
    if (pr.length >= ctx)
      throw new Error(
        `generate: prompt ${i} has ${pr.length} tokens; the context is ${ctx}, leaving no room to generate`,
      );
  });
  const B = prompts.length;
  const padded = leftPad(prompts, o.padId);
  const P = padded.ids[0].length;
  const steps = Math.min(o.maxNewTokens, ctx - P);
  checkWithinWindow(cfg, P + steps, 'generate');
  const readEvery = Math.max(1, o.readEvery ?? 16);
  const cache = createKVCache(cfg, B, P + steps);
  const out: GenerateResult = {
    tokens: prompts.map(() => []),
    logProbs: prompts.map(() => []),
    stopReasons: prompts.map(() => 'length'),
  };
  const finished = new Array<boolean>(B).fill(false);
  const fused = fusedKernelsOn() && onWebGPU();
  const packed = fused ? decodeWeights(p, cfg) : undefined;
  const sampler = createStepSampler(B, readEvery, o);

  const { first, of } = distinctRows(padded.ids);
  const U = first.length;
  let logits = tf.tidy(() =>
    prefill(
      p,
      cfg,
      cache,
      tf.tensor2d(
        first.map((i) => padded.ids[i]),
        [U, P],
        'int32',
      ),
      tf.tensor2d(
        first.map((i) => padded.mask[i]),
        [U, P],
        'int32',
      ),
      U < B ? of : undefined,
    ),
  );
  let ids: tf.Tensor1D | null = null; // this step's tokens, fed to the next decode step
  try {
    for (let i = 0; i < steps; i++) {
      ids = sampler.sample(logits, i);
      const last = i === steps - 1;
      if ((i + 1) % readEvery === 0 || last) {
        const allDone = await readChunk(await sampler.read(), out, finished, o);
        if (allDone || last) break;
      }
      const next = decodeStep(
        p,
        cfg,
        cache,
        ids,
        padded.lengths.map((n) => n + i),
        P + i,
        packed,
      );
      ids.dispose();
      ids = null;
      logits.dispose();
      logits = next;
    }
  } finally {
    tf.dispose([logits, ...(ids ? [ids] : [])]);
    sampler.dispose();
    packed?.dispose();
    cache.dispose();
  }
  return out;
}

/** Sampling across a generation: each step's tokens on the device, finished rows masked, one readback per chunk. */
export interface StepSampler {
  /** Step `step`'s ids [B] int32 from logits [B, V]: <pad> (log-prob 0) for rows that already emitted a stop id. */
  sample(logits: tf.Tensor2D, step: number): tf.Tensor1D;
  /** One readback of the steps since the last: per step [2, B] (ids as floats, then log-probs). */
  read(): Promise<{ data: Float32Array; steps: number }>;
  dispose(): void;
}

/** One sampling program per step writing its state in place (fused, WebGPU), else stock ops. */
export function createStepSampler(B: number, readEvery: number, o: GenerateOptions): StepSampler {
  const opts = (step: number) => ({
    temperature: o.temperature,
    topK: o.topK,
    topP: o.topP,
    seed: stepSeed(o.seed, step),
  });
  return fusedKernelsOn() && onWebGPU() ? fusedStepSampler(B, readEvery, o, opts) : stockStepSampler(B, o, opts);
}

type StepOptions = (step: number) => Parameters<typeof sampleTokensStock>[1];

function fusedStepSampler(B: number, readEvery: number, o: GenerateOptions, opts: StepOptions): StepSampler {
  const state = createSamplerState(B, readEvery, o.eosIds);
  let steps = 0;
  return {
    sample: (logits, step) =>
      sampleIntoFused(logits, state, steps++, {
        ...opts(step),
        padId: o.padId,
        greedy: o.temperature <= GREEDY_BELOW,
      }),
    read: async () => {
      const data = (await state.record.data()) as Float32Array; // the chunk's one readback; rows past `steps` are stale
      const k = steps;
      steps = 0;
      return { data, steps: k };
    },
    dispose: () => state.dispose(),
  };
}

function stockStepSampler(B: number, o: GenerateOptions, opts: StepOptions): StepSampler {
  let done = tf.zeros([B], 'bool');
  let chunk: tf.Tensor[] = [];
  const stops = o.eosIds.length ? tf.tensor2d([...o.eosIds], [1, o.eosIds.length], 'int32') : null; // [1, S]
  return {
    sample: (logits, step) => {
      const { ids, lp, nextDone } = tf.tidy(() => {
        const s = sampleTokensStock(logits, opts(step));
        const ids = tf.where(done, tf.fill([B], o.padId, 'int32'), s.ids) as tf.Tensor1D;
        const stopped = stops ? tf.any(tf.equal(tf.expandDims(ids, 1), stops), 1) : tf.zeros([B], 'bool');
        return {
          ids,
          lp: tf.where(done, tf.zerosLike(s.logProbs), s.logProbs),
          nextDone: tf.logicalOr(done, stopped),
        };
      });
      chunk.push(tf.tidy(() => tf.stack([tf.cast(ids, 'float32'), lp])));
      tf.dispose([lp, done]);
      done = nextDone;
      return ids;
    },
    read: async () => {
      const stacked = tf.stack(chunk); // [k, 2, B]
      const data = (await stacked.data()) as Float32Array; // the chunk's one readback
      const k = chunk.length;
      tf.dispose([stacked, ...chunk]);
      chunk = [];
      return { data, steps: k };
    },
    dispose: () => tf.dispose([done, ...chunk, ...(stops ? [stops] : [])]),
  };
}

/** Appends a chunk of steps ([2, B] each: ids as floats, log-probs) until each stop id; true when every row is done. */
async function readChunk(
  { data, steps }: { data: Float32Array; steps: number },
  out: GenerateResult,
  finished: boolean[],
  o: GenerateOptions,
): Promise<boolean> {
  const B = finished.length;
  const fresh: number[][] = out.tokens.map(() => []);
  for (let s = 0; s < steps; s++) {
    for (let b = 0; b < B; b++) {
      if (finished[b]) continue;
      const id = data[s * 2 * B + b],
        lp = data[s * 2 * B + B + b];
      out.tokens[b].push(id);
      out.logProbs[b].push(lp);
      fresh[b].push(id);
      if (o.eosIds.includes(id)) {
        finished[b] = true;
        out.stopReasons[b] = 'eos';
      }
    }
  }
  await o.onTokens?.(fresh);
  return finished.every(Boolean);
}

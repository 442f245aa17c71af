// Sampling a batch of next tokens as ONE WebGPU program: temperature, top-k, top-p (nucleus), a seeded
// Gumbel-max draw, the log-prob of the drawn id, and generation's bookkeeping (finished rows emit <pad>
// with log-prob 0; a row finishes at any of its stop ids), one workgroup per row. Dimension letters:
// B rows, V vocab, R steps per readback, S stop ids.
//   z = logits / τ (τ = 1 when greedy)                     m = max z, s = Σ exp(z − m)
//   top-k: the k-th largest z, found exactly by a bitwise search over z's order-preserving u32 key (32
//          counting passes); kept: z ≥ it, ties included (as sampling.ts's `z < kth → −∞`).
//   top-p: over the top-k survivors with mass q ∝ exp(z − m), kept: tokens whose value v has
//          Σ_{z > v} q < p — the set sampling.ts keeps (sorted, `mass before < p`, ties at the cutoff
//          kept), found by a second bitwise search for the cutoff key.
//   draw:  argmax over kept tokens of z + g, g = −log(−log u), u from a counter-based hash of
//          (step seed, row, column); greedy: argmax z (first index on ties, as tf.argMax).
//   log p = z[id] − m − log s: the FULL temperature-scaled distribution, before truncation (GRPO's ratio
//          and KL use it, as sampling.ts returns).
// State lives in two int/float buffers the program writes in place, so a generation step dispatches
// nothing else: done [B] (1 once a row emitted a stop id) and record [R, 2, B] (row r: ids as floats, then
// log-probs), read back once per R steps; the stop ids [S] are uploaded once per generation.
// The reference is sampling.ts's stock sampleTokens (its own RNG stream: the same seed draws other tokens
// there, with the same distribution) plus generate.ts's masking; sampling.ts takes this program when
// the fused switch is on and the backend is WebGPU.
// Leaves out: min-p, repetition penalties, vec4 loads. Its reductions take subgroups where the device has them.
// Run the tests: npx vitest run src/engine/kernels/sample.test.ts
import * as tf from '@tensorflow/tfjs';
import type { SampleOptions } from '../sampling';
import { markWritten } from './in_place';
import { registerWebGPUKernel, ROW_THREADS, RowProgram, runKernel } from './webgpu_program';
import { useSubgroups } from './subgroups';

/** What the program keeps between steps of one generation. */
export interface SamplerState {
  readonly done: tf.Variable; // int32 [B], 1 once the row emitted a stop id
  readonly record: tf.Variable; // [R, 2, B]: per step, the ids (as floats) then their log-probs
  readonly stops: tf.Tensor1D; // int32 [S ≥ 1]: the ids that end a row; [−1] when none does
  dispose(): void;
}

/** State for B rows read back every R steps; a row ends at any of `stopIds` (none: rows run to the cap). */
export function createSamplerState(B: number, R: number, stopIds: readonly number[] = []): SamplerState {
  const done = tf.tidy(() => tf.variable(tf.zeros([B], 'int32'), false));
  const record = tf.tidy(() => tf.variable(tf.zeros([R, 2, B]), false));
  const stops = tf.tensor1d(stopIds.length ? [...stopIds] : [-1], 'int32');
  return { done, record, stops, dispose: () => tf.dispose([done, record, stops]) };
}

/** The id that fills finished rows (<pad>). */
export interface PadId {
  padId: number;
}

const HELPERS = `
  @group(0) @binding(2) var<storage, read_write> doneOut : array<i32>;
  @group(0) @binding(3) var<storage, read_write> recordOut : array<f32>;

  fn zAt(base : i32, c : i32) -> f32 { return logits[base + c] / uniforms.temperature; }

  // a < b exactly when orderKey(a) < orderKey(b), for non-NaN floats
  fn orderKey(z : f32) -> u32 {
    let b = bitcast<u32>(z);
    return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
  }

  // lowbias32 (C. Wellons): a bijective u32 mixer
  fn mix32(x0 : u32) -> u32 {
    var x = x0;
    x = x ^ (x >> 16u);
    x = x * 0x7feb352du;
    x = x ^ (x >> 15u);
    x = x * 0x846ca68bu;
    return x ^ (x >> 16u);
  }

  // u in (0, 1) from (step seed, row, column): 23 bits, so 1 − u never rounds to 0
  fn uniform01(row : i32, col : i32) -> f32 {
    let h = mix32(mix32(mix32(bitcast<u32>(uniforms.seed) + 0x9e3779b9u) + u32(row)) + u32(col));
    return (f32(h >> 9u) + 0.5) / 8388608.0;
  }

  // Σ exp(z − m) over this thread's columns whose key is ≥ lo and > above
  fn massAbove(base : i32, cols : i32, tid : i32, m : f32, lo : u32, above : u32, strict : bool) -> f32 {
    var e = 0.0;
    for (var c = tid; c < cols; c = c + ${ROW_THREADS}) {
      let z = zAt(base, c);
      let key = orderKey(z);
      if (key >= lo && (!strict || key > above)) { e = e + exp(z - m); }
    }
    return e;
  }
`;

const BODY = `
    // m, s: the full distribution's max and Σ exp(z − m)
    var mt = -3.402823e+38;
    for (var c = tid; c < cols; c = c + ${ROW_THREADS}) { mt = max(mt, zAt(base, c)); }
    let m = workgroupMax(mt, tid);
    let s = workgroupSum(massAbove(base, cols, tid, m, 0u, 0u, false), tid);

    var lo = 0u; // the smallest kept key
    if (uniforms.greedy == 0 && uniforms.topK > 0 && uniforms.topK < cols) {
      // the largest key t with #(key ≥ t) ≥ k is the k-th largest value's key
      var t = 0u;
      for (var bit = 31; bit >= 0; bit = bit - 1) {
        let cand = t | (1u << u32(bit));
        var n = 0.0;
        for (var c = tid; c < cols; c = c + ${ROW_THREADS}) { if (orderKey(zAt(base, c)) >= cand) { n = n + 1.0; } }
        if (workgroupSum(n, tid) >= f32(uniforms.topK)) { t = cand; }
      }
      lo = t;
    }
    if (uniforms.greedy == 0 && uniforms.topP < 1.0) {
      // the largest key t whose mass strictly above reaches p; the cutoff is the next key
      let need = uniforms.topP * workgroupSum(massAbove(base, cols, tid, m, lo, 0u, false), tid);
      var t = 0u;
      for (var bit = 31; bit >= 0; bit = bit - 1) {
        let cand = t | (1u << u32(bit));
        if (workgroupSum(massAbove(base, cols, tid, m, lo, cand, true), tid) >= need) { t = cand; }
      }
      lo = max(lo, t + 1u);
    }

    var best = -3.402823e+38;
    var at = cols;
    for (var c = tid; c < cols; c = c + ${ROW_THREADS}) {
      let z = zAt(base, c);
      if (orderKey(z) >= lo) {
        var g = z;
        if (uniforms.greedy == 0) { g = z - log(-log(uniform01(row, c))); }
        if (g > best) { best = g; at = c; }
      }
    }
    let top = workgroupMax(best, tid);
    let id = i32(-workgroupMax(select(-f32(cols), -f32(at), best == top), tid)); // first index at the max

    if (live && tid == 0) {
      let wasDone = doneOut[row] != 0;
      let out = select(id, uniforms.pad, wasDone);
      result[row] = out;
      var stopped = wasDone;
      for (var k = 0; k < uniforms.stopsShape; k = k + 1) { stopped = stopped || out == stops[k]; }
      doneOut[row] = select(0, 1, stopped);
      recordOut[uniforms.recordRow * 2 * rows + row] = f32(out);
      recordOut[(uniforms.recordRow * 2 + 1) * rows + row] = select(zAt(base, id) - m - log(s), 0.0, wasDone);
    }`;

const SAMPLE = 'RubricSample';

/** ids [B] int32 from logits [B, V] and the stop ids [S]; writes done [B] and record row `recordRow` in place. */
registerWebGPUKernel(SAMPLE, (backend, { logits, done, record, stops }, a) => {
  const program = new RowProgram({
    name: 'rubricSample',
    subgroups: useSubgroups(backend),
    inputs: ['logits', 'done', 'record', 'stops'],
    outputShape: [logits.shape[0]],
    uniforms: 'temperature : f32, greedy : i32, topK : i32, topP : f32, seed : i32, recordRow : i32, pad : i32,',
    helpers: HELPERS,
    body: BODY,
  });
  const f = (x: unknown) => ({ type: 'float32', data: [x as number] }),
    i = (x: unknown) => ({ type: 'int32', data: [x as number] });
  const ids = backend.runWebGPUProgram(program, [logits, done, record, stops], 'int32', [
    f(a.temperature),
    i(a.greedy),
    i(a.topK),
    f(a.topP),
    i(a.seed),
    i(a.recordRow),
    i(a.pad),
  ]);
  markWritten(backend, [done, record]);
  return ids;
});

/**
 * One generation step's tokens [B] int32 from logits [B, V] (webgpu backend only): rows already done emit
 * <pad> with log-prob 0; ids and log-probs go to row `recordRow` of state.record; rows that emit one of
 * state.stops are marked done.
 * `greedy` is the caller's reading of the temperature (sampling.ts's GREEDY_BELOW).
 */
export function sampleIntoFused(
  logits: tf.Tensor2D,
  state: SamplerState,
  recordRow: number,
  o: SampleOptions & PadId & { greedy: boolean },
): tf.Tensor1D {
  const V = logits.shape[1];
  tf.util.assert(o.topP === undefined || o.topP > 0, () => `topP must be > 0, got ${o.topP}`);
  tf.util.assert(
    recordRow >= 0 && recordRow < state.record.shape[0],
    () => `record row ${recordRow} is outside [0, ${state.record.shape[0]})`,
  );
  return runKernel(
    SAMPLE,
    { logits, done: state.done, record: state.record, stops: state.stops },
    {
      temperature: o.greedy ? 1 : o.temperature,
      greedy: o.greedy ? 1 : 0,
      topK: o.topK && o.topK < V ? o.topK : 0,
      topP: o.topP ?? 1,
      seed: o.seed | 0,
      recordRow,
      pad: o.padId,
    },
  ) as tf.Tensor1D;
}

// The one-program sampler against sampling.ts's stock ops and exact float64 references: draws follow the
// truncated softmax (chi-square over 3000 rows, p = 0.001 bound), top-k and top-p keep exactly the sets the
// stock path keeps (ties included), log-probs are the FULL temperature-scaled distribution's (< 1e-5 from
// stock), a seed repeats, greedy is argmax (first index on ties), finished rows emit <pad> with log-prob 0
// and <eos> finishes a row, in one dispatch, leaking nothing. V = 70 and 7: not multiples of the 64
// threads of a row. On CPU the switch must change nothing (the stock path runs).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { sampleTokens, sampleTokensStock, type SampleOptions } from '../sampling';
import { testBackends, switchTestBackend } from '../test_backends';
import { dispatches } from './check_tensor';
import { switchFusedKernels } from './fused';
import { pickTargets } from './log_probs';
import { createSamplerState, sampleIntoFused } from './sample';

const backends = await testBackends();

/**
 * The exact sampling distribution in float64: softmax(row/τ) truncated by top-k, then top-p (as sampling.ts),
 * renormalised.
 */
function truncatedSoftmax(row: number[], o: { temperature: number; topK?: number; topP?: number }): number[] {
  const z = row.map((x) => x / o.temperature);
  const order = z.map((_, i) => i).sort((a, b) => z[b] - z[a] || a - b);
  let kept = z.map(() => true);
  if (o.topK && o.topK < z.length) {
    const kth = z[order[o.topK - 1]];
    kept = z.map((v) => v >= kth);
  }
  const mass = (ks: boolean[]) => {
    const m = Math.max(...z);
    const e = z.map((v, i) => (ks[i] ? Math.exp(v - m) : 0));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  };
  if (o.topP !== undefined && o.topP < 1) {
    const q = mass(kept);
    let before = 0,
      cutoff = Infinity;
    for (const i of order) {
      if (!kept[i]) continue;
      if (before < o.topP) cutoff = Math.min(cutoff, z[i]);
      before += q[i];
    }
    kept = kept.map((k, i) => k && z[i] >= cutoff);
  }
  return mass(kept);
}

/** log softmax(x / τ) in float64. */
function logSoftmax(x: number[], tau: number): number[] {
  const s = x.map((v) => v / tau),
    m = Math.max(...s);
  const lse = m + Math.log(s.reduce((a, v) => a + Math.exp(v - m), 0));
  return s.map((v) => v - lse);
}

/** Samples B copies of one row; ids and log-probs as arrays. */
async function draw(sample: typeof sampleTokens, row: number[], B: number, o: SampleOptions) {
  const logits = tf.tensor2d(Array.from({ length: B }, () => row));
  const { ids, logProbs } = sample(logits, o);
  const out = { ids: Array.from(await ids.data()), logProbs: Array.from(await logProbs.data()) };
  tf.dispose([logits, ids, logProbs]);
  return out;
}

/**
 * Pearson's χ² of observed counts against probabilities p (cells with expected count < 5 pooled), and its p = 0.001
 * bound.
 */
function chiSquare(ids: number[], p: number[]): { chi2: number; bound: number; outside: number } {
  const n = ids.length,
    counts = p.map(() => 0);
  for (const id of ids) counts[id]++;
  let chi2 = 0,
    df = -1,
    poolObs = 0,
    poolExp = 0,
    outside = 0;
  p.forEach((pi, i) => {
    if (pi === 0) {
      outside += counts[i];
      return;
    }
    const e = n * pi;
    if (e < 5) {
      poolObs += counts[i];
      poolExp += e;
      return;
    }
    chi2 += (counts[i] - e) ** 2 / e;
    df++;
  });
  if (poolExp > 0) {
    chi2 += (poolObs - poolExp) ** 2 / poolExp;
    df++;
  }
  const k = 2 / (9 * Math.max(df, 1)); // Wilson–Hilferty, z = 3.09
  return { chi2, bound: Math.max(df, 1) * (1 - k + 3.09 * Math.sqrt(k)) ** 3, outside };
}

const fusedSample: typeof sampleTokens = (logits, o) => {
  switchFusedKernels(true);
  try {
    return sampleTokens(logits, o);
  } finally {
    switchFusedKernels(false);
  }
};
const ROW70 = Array.from({ length: 70 }, (_, i) => Math.sin(i * 1.7) * 2 + (i % 5 === 0 ? 1.5 : 0));
const ROW7 = [0.3, -1.2, 2.0, 0.7, 1.1, -0.4, 1.1];
const SETTINGS: SampleOptions[] = [
  { temperature: 1, seed: 11 },
  { temperature: 0.7, topK: 5, seed: 12 },
  { temperature: 1.3, topP: 0.8, seed: 13 },
  { temperature: 0.9, topK: 20, topP: 0.6, seed: 14 },
];

describe.each(backends)('sampling program on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));
  afterEach(() => switchFusedKernels(false));

  it.runIf(backend === 'cpu')('off WebGPU the switch changes nothing: the stock path runs', async () => {
    for (const o of SETTINGS)
      expect(await draw(fusedSample, ROW7, 32, o)).toEqual(await draw(sampleTokensStock, ROW7, 32, o));
  });

  it.runIf(backend === 'webgpu').each(SETTINGS)(
    'draws follow the exact truncated softmax (χ² over 3000 rows, V = 70): %o',
    async (o) => {
      const { ids } = await draw(fusedSample, ROW70, 3000, o);
      const { chi2, bound, outside } = chiSquare(ids, truncatedSoftmax(ROW70, o));
      console.log(`χ² ${chi2.toFixed(1)} (bound ${bound.toFixed(1)}) for ${JSON.stringify(o)}`);
      expect(outside).toBe(0);
      expect(chi2).toBeLessThan(bound);
    },
  );

  it.runIf(backend === 'webgpu')(
    "top-k and top-p keep the same sets as the stock path (ties at the cutoff kept), and the exact reference's",
    async () => {
      const rows = [ROW7, [2, 2, 1, 0.5, 2, -1, 0], [0.1, 0.4, 0.2, 0.3].map(Math.log)];
      const opts: Omit<SampleOptions, 'seed'>[] = [
        { temperature: 1, topK: 3 },
        { temperature: 1, topK: 1 },
        { temperature: 0.8, topK: 2 },
        { temperature: 1, topP: 0.35 },
        { temperature: 1, topP: 0.65 },
        { temperature: 1, topP: 0.85 },
        { temperature: 1.5, topK: 3, topP: 0.5 },
      ];
      for (const row of rows) {
        for (const o of opts) {
          const ref = truncatedSoftmax(row, o).flatMap((p, i) => (p > 0 ? [i] : []));
          const set = async (s: typeof sampleTokens) =>
            [...new Set((await draw(s, row, 600, { ...o, seed: 5 })).ids)].sort((a, b) => a - b);
          const fused = await set(fusedSample),
            stock = await set(sampleTokensStock);
          expect(fused, `${JSON.stringify(row)} ${JSON.stringify(o)}`).toEqual(ref);
          expect(stock, `stock ${JSON.stringify(row)} ${JSON.stringify(o)}`).toEqual(ref);
        }
      }
    },
  );

  it.runIf(backend === 'webgpu')(
    "log-probs are the full distribution's at the drawn id: stock logSoftmax (< 1e-5) and float64",
    async () => {
      for (const o of SETTINGS) {
        const logits = tf.tensor2d(Array.from({ length: 64 }, () => ROW70));
        const { ids, logProbs } = fusedSample(logits as tf.Tensor2D, o);
        const stock = pickTargets(tf.logSoftmax(tf.div(logits, o.temperature)), ids);
        const [got, want, drawn] = [await logProbs.data(), await stock.data(), await ids.data()];
        const exact = logSoftmax(ROW70, o.temperature);
        got.forEach((lp, b) => {
          expect(Math.abs(lp - want[b])).toBeLessThan(1e-5);
          expect(Math.abs(lp - exact[drawn[b]])).toBeLessThan(1e-5);
        });
        tf.dispose([logits, ids, logProbs, stock]);
      }
    },
  );

  it.runIf(backend === 'webgpu')(
    'a seed repeats the draw, another changes it, identical rows draw independently',
    async () => {
      const flat = new Array(70).fill(0);
      const a = (await draw(fusedSample, flat, 64, { temperature: 1, seed: 1 })).ids;
      expect((await draw(fusedSample, flat, 64, { temperature: 1, seed: 1 })).ids).toEqual(a);
      expect((await draw(fusedSample, flat, 64, { temperature: 1, seed: 2 })).ids).not.toEqual(a);
      expect(new Set(a).size).toBeGreaterThan(30);
    },
  );

  it.runIf(backend === 'webgpu')(
    'temperature ≤ 1e-6 is argmax (first index on ties) with the untempered log-probs, whatever top-k/top-p say',
    async () => {
      const rows = [
        [0.1, 2.5, -1, 2.4],
        [3, 3, 1, 0],
        [-5, -4, -3, -6],
      ];
      const logits = tf.tensor2d(rows) as tf.Tensor2D;
      for (const temperature of [0, 1e-7]) {
        const { ids, logProbs } = fusedSample(logits, { temperature, topK: 2, topP: 0.3, seed: 1 });
        expect(Array.from(await ids.data())).toEqual([1, 0, 2]);
        const lp = await logProbs.data();
        rows.forEach((r, b) => expect(Math.abs(lp[b] - logSoftmax(r, 1)[[1, 0, 2][b]])).toBeLessThan(1e-5));
        tf.dispose([ids, logProbs]);
      }
      logits.dispose();
    },
  );

  it.runIf(backend === 'webgpu')(
    'in a generation: finished rows emit <pad> with log-prob 0, any stop id finishes a row, each step records ' +
      'its row; 1 dispatch',
    async () => {
      const B = 3,
        state = createSamplerState(B, 4, [2, 5]);
      // row 0 always argmaxes to 2 (a stop id here), row 1 to 5 (the second stop id), row 2 to 1
      const logits = tf.tensor2d([
        [0, 0, 9, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 9, 0],
        [0, 9, 0, 0, 0, 0, 0],
      ]) as tf.Tensor2D;
      const o = { temperature: 0, seed: 1, padId: 6, greedy: true };
      let n = 0;
      for (let r = 0; r < 3; r++) {
        n += dispatches(() => sampleIntoFused(logits, state, r, o));
        await state.record.data(); // a readback between steps: later writes must still be seen
      }
      expect(n).toBe(3);
      const rec = (await state.record.array()) as number[][][];
      const lp = logSoftmax([0, 0, 9, 0, 0, 0, 0], 1)[2];
      expect(rec[0][0]).toEqual([2, 5, 1]);
      expect(rec[1][0]).toEqual([6, 6, 1]);
      expect(rec[2][0]).toEqual([6, 6, 1]);
      expect(Math.abs(rec[0][1][0] - lp)).toBeLessThan(1e-5);
      expect([rec[1][1][0], rec[1][1][1]]).toEqual([0, 0]);
      expect([rec[2][1][0], rec[2][1][1]]).toEqual([0, 0]);
      expect(Array.from(await state.done.data())).toEqual([1, 1, 0]);
      logits.dispose();
      state.dispose();
    },
  );

  it.runIf(backend === 'webgpu')('leaves only its two outputs', () => {
    const logits = tf.tensor2d([ROW7]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const { ids, logProbs } = fusedSample(logits, { temperature: 0.9, topK: 3, topP: 0.9, seed: 3 });
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(ids.dtype).toBe('int32');
    tf.dispose([ids, logProbs, logits]);
  });
});

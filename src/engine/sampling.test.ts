// On-device sampling: log-probs come from the full temperature-scaled distribution (before top-k/top-p),
// top-k and top-p keep exactly the tokens they should, Gumbel-max draws follow softmax(logits/τ), τ → 0
// is argmax, a seed repeats, and nothing but the two outputs is left on the device.
// Runs on CPU, WASM (the Node default) and WebGPU when this process has an adapter.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from './backend';
import { sampleTokens, stepSeed } from './sampling';
import { testBackends, switchTestBackend } from './test_backends';

const backends: BackendName[] = [...(await testBackends()), 'wasm'];

/** log softmax(x / τ) in float64: the reference. */
function logSoftmax(x: number[], tau = 1): number[] {
  const s = x.map((v) => v / tau);
  const m = Math.max(...s);
  const lse = m + Math.log(s.reduce((a, v) => a + Math.exp(v - m), 0));
  return s.map((v) => v - lse);
}

/** Samples B copies of one row of logits; returns the ids and log-probs as plain arrays. */
async function draw(row: number[], B: number, o: { temperature: number; topK?: number; topP?: number; seed: number }) {
  const logits = tf.tensor2d(Array.from({ length: B }, () => row));
  const { ids, logProbs } = sampleTokens(logits, o);
  const out = { ids: Array.from(await ids.data()), logProbs: Array.from(await logProbs.data()) };
  tf.dispose([logits, ids, logProbs]);
  return out;
}

const counts = (ids: number[], V: number) =>
  ids.reduce((c, id) => {
    c[id]++;
    return c;
  }, new Array<number>(V).fill(0));

describe.each(backends)('sampling on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));

  it(
    'log-probs are logSoftmax(logits/τ) of the full distribution ' +
      'at the sampled id, also under top-k/top-p (< 1e-5)',
    async () => {
      const row = [0.3, -1.2, 2.0, 0.7, 1.1, -0.4];
      for (const o of [
        { temperature: 1 },
        { temperature: 0.7, topK: 2 },
        { temperature: 1.3, topP: 0.6 },
        { temperature: 0.5, topK: 3, topP: 0.8 },
      ]) {
        const ref = logSoftmax(row, o.temperature);
        const { ids, logProbs } = await draw(row, 16, { ...o, seed: 4 });
        ids.forEach((id, b) =>
          expect(Math.abs(logProbs[b] - ref[id]), `${JSON.stringify(o)} id ${id}`).toBeLessThan(1e-5),
        );
      }
    },
  );

  it('top-k draws only the k most likely tokens, and all of them', async () => {
    const row = [0.1, 1.5, -0.3, 1.2, 0.9, -2.0, 1.0, 0.2]; // top 3: ids 1, 3, 6
    const { ids } = await draw(row, 512, { temperature: 1, topK: 3, seed: 8 });
    expect([...new Set(ids)].sort()).toEqual([1, 3, 6]);
  });

  it('top-p keeps the smallest most-likely set whose mass reaches p (HF nucleus)', async () => {
    // probabilities 0.1, 0.4, 0.2, 0.3 at ids 0..3; by rank: 0.4 (id 1), 0.3 (id 3), 0.2 (id 2), 0.1 (id 0)
    const row = [0.1, 0.4, 0.2, 0.3].map(Math.log);
    const kept = async (o: { topP: number; topK?: number }) =>
      [...new Set((await draw(row, 512, { temperature: 1, seed: 2, ...o })).ids)].sort();
    expect(await kept({ topP: 0.35 })).toEqual([1]); // 0.4 ≥ 0.35 already
    expect(await kept({ topP: 0.65 })).toEqual([1, 3]); // 0.4 < 0.65 ≤ 0.7
    expect(await kept({ topP: 0.85 })).toEqual([1, 2, 3]); // 0.7 < 0.85 ≤ 0.9
    expect(await kept({ topP: 0.95, topK: 2 })).toEqual([1, 3]); // top-k first, then top-p on what is left
  });

  it('Gumbel-max draws follow softmax(logits/τ) (4000 draws, each frequency within 0.03)', async () => {
    const row = [0, 0.5, 1, 2];
    for (const temperature of [1, 0.5, 2]) {
      const p = logSoftmax(row, temperature).map(Math.exp);
      const c = counts((await draw(row, 4000, { temperature, seed: 17 })).ids, row.length);
      c.forEach((n, i) =>
        expect(Math.abs(n / 4000 - p[i]), `τ ${temperature} id ${i}: ${n / 4000} vs ${p[i]}`).toBeLessThan(0.03),
      );
    }
  });

  it('temperature ≤ 1e-6 is argmax (first index on ties), with log-probs of the untempered distribution', async () => {
    const rows = [
      [0.1, 2.5, -1, 2.4],
      [3, 3, 1, 0],
      [-5, -4, -3, -6],
    ];
    const logits = tf.tensor2d(rows);
    for (const temperature of [0, 1e-7]) {
      const { ids, logProbs } = sampleTokens(logits, { temperature, seed: 1 });
      expect(Array.from(await ids.data())).toEqual([1, 0, 2]);
      const lp = await logProbs.data();
      rows.forEach((r, b) => expect(Math.abs(lp[b] - logSoftmax(r)[[1, 0, 2][b]])).toBeLessThan(1e-5));
      tf.dispose([ids, logProbs]);
    }
    logits.dispose();
  });

  it('the same seed repeats the draw; another seed changes it; rows get independent noise', async () => {
    const row = new Array(10).fill(0);
    const a = (await draw(row, 64, { temperature: 1, seed: 1 })).ids;
    expect((await draw(row, 64, { temperature: 1, seed: 1 })).ids).toEqual(a);
    expect((await draw(row, 64, { temperature: 1, seed: 2 })).ids).not.toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(5); // identical rows, different tokens
  });

  it('leaves only its two outputs on the device', () => {
    const logits = tf.tensor2d([[0.2, 0.1, 0.5, 0.3]]);
    const before = tf.memory().numTensors;
    const { ids, logProbs } = sampleTokens(logits, { temperature: 0.9, topK: 3, topP: 0.9, seed: 3 });
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(ids.dtype).toBe('int32');
    tf.dispose([ids, logProbs, logits]);
  });
});

describe('stepSeed', () => {
  it('is deterministic, 31-bit, and distinct over 10 run seeds × 100 steps', () => {
    const seen = new Set<number>();
    for (let s = 0; s < 10; s++) {
      for (let i = 0; i < 100; i++) {
        const x = stepSeed(s, i);
        expect(x).toBe(stepSeed(s, i));
        expect(Number.isInteger(x) && x >= 0 && x < 2 ** 31).toBe(true);
        seen.add(x);
      }
    }
    expect(seen.size).toBe(1000);
  });
});

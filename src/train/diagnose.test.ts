// The judge diagnosis on the nano judge fixture (WASM): greedy, its verdicts are the first-order verdicts
// evaluate() scores (two code paths, one answer); sampled, every pair gets G judgements; and no tensor
// outlives it.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { modelFromFiles } from '../engine/checkpoint';
import { loadCheckpointDir } from '../engine/checkpoint_node';
import { switchTestBackend } from '../engine/test_backends';
import { makeSplits } from '../rm/world';
import { DIAGNOSE_DEFAULTS, diagnoseJudge } from './diagnose';
import { EVAL_DEFAULTS, evaluate } from './evaluate';
import { worldOptions } from './pipeline';
import { RUN_DEFAULTS } from './run_config';

describe('diagnoseJudge (nano fixture, WASM)', () => {
  beforeAll(() => switchTestBackend('wasm'));

  it('greedy: a right verdict exactly where evaluation scores ' +
    'the first order right; sampled: G per pair; tensors flat', async () => {
    const { params, cfg, tok } = modelFromFiles(await loadCheckpointDir('e2e/fixtures/nano-judge'));
    const pairs = makeSplits({ ...worldOptions(RUN_DEFAULTS), nDistill: 0, nGrpo: 0, nEval: 12 }).eval;
    const before = tf.memory().numTensors;
    const greedy = await diagnoseJudge(params, cfg, tok, pairs, { ...DIAGNOSE_DEFAULTS, samples: 1, batchSize: 8 });
    const ev = await evaluate(params, cfg, tok, pairs, {
      ...EVAL_DEFAULTS,
      maxCompletionLength: DIAGNOSE_DEFAULTS.maxCompletionLength,
    });
    expect(greedy.examples.map((e) => e.diagnosis.verdictRight)).toEqual(ev.pairs.map((p) => p.correct));
    expect(greedy.examples.map((e) => e.trace)).toEqual(ev.pairs.map((p) => p.trace));
    expect(greedy.overall.judgements).toBe(12);

    let calls = 0;
    const sampled = await diagnoseJudge(params, cfg, tok, pairs, {
      ...DIAGNOSE_DEFAULTS,
      samples: 3,
      batchSize: 8,
      onProgress: () => calls++,
    });
    expect(sampled.overall).toMatchObject({ judgements: 36, pairs: 12 });
    expect(calls).toBe(Math.ceil(36 / 8));
    const perCat = Object.values(sampled.perCategory).reduce((n, s) => n + s.judgements, 0);
    expect(perCat).toBe(36);
    expect(sampled.overall.pairsMixedReward).toBeLessThanOrEqual(12);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(params));
  }, 300_000);
});

// The switch: off by default, and wired into the model. A nano model's SFT loss and parameter gradients
// (every fused kernel inside: the first RMSNorm, four residual adds + RMSNorm, q|k RoPE, two attentions
// over shared GQA heads with v and y as projected, SwiGLU, the target log-probs)
// agree with the switch on and off, as do the log-probs and gradients of a left-padded batch (fully masked
// padding query rows) and the logits of a KV-cache prefill and decode step (one query over every slot):
// exactly on CPU, where the switch must change nothing; within 1e-4 on WebGPU, where the programs run.
// And on WebGPU, the dispatches one more decoder layer adds to a forward + backward pass.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from '../config';
import { decodeStep } from '../decode';
import { prefill } from '../generate';
import { createKVCache } from '../kv_cache';
import { initParams, maskedNll, tokenLogProbs, tokenLogProbsAndEntropy } from '../model';
import { testBackends, switchTestBackend } from '../test_backends';
import { checkTensor, dispatches } from './check_tensor';
import { fusedKernelsOn, switchFusedKernels } from './fused';

const cfg = presetConfig('nano', { vocab_size: 40, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 });
const backends = await testBackends();

it('the switch is off by default', () => {
  expect(fusedKernelsOn()).toBe(false);
});

describe.each(backends)('fused kernels in the model on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));
  afterEach(() => switchFusedKernels(false));
  const tol = backend === 'webgpu' ? 1e-4 : 0;

  it(`loss, gradients and entropy with the switch on = off (max error ≤ ${tol})`, async () => {
    const params = initParams({ ...cfg, initializer_range: 0.3 }, 3);
    const ids = tf.tensor2d(
      [
        [1, 5, 9, 4, 7, 3],
        [1, 8, 8, 2, 6, 11],
      ],
      undefined,
      'int32',
    );
    const targets = tf.tensor2d(
      [
        [5, 9, 4, 7, 3, 12],
        [8, 8, 2, 6, 11, 13],
      ],
      undefined,
      'int32',
    );
    const mask = tf.tensor2d([
      [0, 1, 1, 1, 1, 1],
      [1, 1, 1, 0, 1, 1],
    ]);
    const run = (on: boolean) => {
      switchFusedKernels(on);
      const { value, grads } = tf.variableGrads(() => maskedNll(params, cfg, ids, targets, mask));
      const { logps, entropy } = tokenLogProbsAndEntropy(params, cfg, ids, targets, {
        temperature: 0.7,
        entropy: true,
      });
      return { value, grads, logps, entropy: entropy! };
    };
    const off = run(false),
      on = run(true);
    expect(await checkTensor(on.value, off.value, `${backend} loss`)).toBeLessThanOrEqual(tol);
    expect(await checkTensor(on.logps, off.logps, `${backend} logps (with entropy)`)).toBeLessThanOrEqual(tol);
    expect(await checkTensor(on.entropy, off.entropy, `${backend} entropy`)).toBeLessThanOrEqual(tol);
    for (const [name, v] of Object.entries(params)) {
      expect(await checkTensor(on.grads[v.name], off.grads[v.name], `${backend} d ${name}`)).toBeLessThanOrEqual(tol);
    }
    tf.dispose([
      ids,
      targets,
      mask,
      ...Object.values(params),
      ...[on, off].flatMap((r) => [r.value, r.logps, r.entropy, ...Object.values(r.grads)]),
    ]);
  });

  it(`a left-padded batch: log-probs and gradients with the switch on = off (max error ≤ ${tol})`, async () => {
    const params = initParams({ ...cfg, initializer_range: 0.3 }, 4);
    const ids = tf.tensor2d(
      [
        [0, 0, 0, 1, 5, 9],
        [1, 8, 8, 2, 6, 11],
      ],
      undefined,
      'int32',
    );
    const targets = tf.tensor2d(
      [
        [0, 0, 1, 5, 9, 4],
        [8, 8, 2, 6, 11, 13],
      ],
      undefined,
      'int32',
    );
    const attentionMask = tf.tensor2d(
      [
        [0, 0, 0, 1, 1, 1],
        [1, 1, 1, 1, 1, 1],
      ],
      undefined,
      'int32',
    );
    const weights = tf.tensor2d([
      [0.5, -1, 2, 1, 0.3, -0.7],
      [1, 0.2, -0.4, 0.9, -1.1, 0.6],
    ]); // padding rows too: their gradients flow in stock
    const run = (on: boolean) => {
      switchFusedKernels(on);
      const logps = tokenLogProbs(params, cfg, ids, targets, { attentionMask });
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.mul(tokenLogProbs(params, cfg, ids, targets, { attentionMask }), weights)) as tf.Scalar,
      );
      return { logps, value, grads };
    };
    const off = run(false),
      on = run(true);
    expect(await checkTensor(on.logps, off.logps, `${backend} padded logps`)).toBeLessThanOrEqual(tol);
    expect(await checkTensor(on.value, off.value, `${backend} padded weighted sum`)).toBeLessThanOrEqual(tol);
    for (const [name, v] of Object.entries(params)) {
      expect(await checkTensor(on.grads[v.name], off.grads[v.name], `${backend} padded d ${name}`)).toBeLessThanOrEqual(
        tol,
      );
    }
    tf.dispose([
      ids,
      targets,
      attentionMask,
      weights,
      ...Object.values(params),
      ...[on, off].flatMap((r) => [r.logps, r.value, ...Object.values(r.grads)]),
    ]);
  });

  it(`KV-cache prefill and decode logits with the switch on = off (max error ≤ ${tol})`, async () => {
    const params = initParams({ ...cfg, initializer_range: 0.3 }, 5);
    const ids = tf.tensor2d(
      [
        [0, 0, 1, 5],
        [1, 7, 3, 9],
      ],
      undefined,
      'int32',
    );
    const mask = tf.tensor2d(
      [
        [0, 0, 1, 1],
        [1, 1, 1, 1],
      ],
      undefined,
      'int32',
    );
    const tok = tf.tensor1d([12, 13], 'int32');
    const run = (on: boolean) => {
      switchFusedKernels(on);
      const cache = createKVCache(cfg, 2, 7);
      const first = prefill(params, cfg, cache, ids, mask);
      const next = decodeStep(params, cfg, cache, tok, [2, 4], 4); // one query against all 7 slots
      cache.dispose();
      return [first, next];
    };
    const off = run(false),
      on = run(true);
    expect(await checkTensor(on[0], off[0], `${backend} prefill logits`)).toBeLessThanOrEqual(tol);
    expect(await checkTensor(on[1], off[1], `${backend} decode logits`)).toBeLessThanOrEqual(tol);
    tf.dispose([ids, mask, tok, ...Object.values(params), ...on, ...off]);
  });

  it.runIf(backend === 'webgpu')(
    'fused: one more layer adds at most 34 dispatches to forward + backward (the optimizer adds its own)',
    () => {
      const ids = tf.tensor2d(
        [
          [1, 5, 9, 4, 7, 3, 8, 2],
          [1, 8, 8, 2, 6, 11, 4, 9],
        ],
        undefined,
        'int32',
      );
      const mask = tf.ones([2, 8]) as tf.Tensor2D;
      const passFor = (layers: number) => {
        const c = { ...cfg, num_hidden_layers: layers };
        const params = initParams(c, 6);
        const pass = () => tf.variableGrads(() => maskedNll(params, c, ids, ids, mask)).value;
        tf.dispose(pass()); // first pass: uploads and compiles
        const n = dispatches(pass);
        tf.dispose(Object.values(params));
        return n;
      };
      switchFusedKernels(true);
      const perLayer = passFor(2) - passFor(1);
      // 21 matmuls (7 linears: y, dx, dW), residual add + RMSNorm 2 + 4, q|k RoPE 2, attention 3, SwiGLU 2
      console.log('fused forward + backward dispatches per layer', perLayer);
      expect(perLayer).toBeLessThanOrEqual(34);
      tf.dispose([ids, mask]);
    },
  );
});

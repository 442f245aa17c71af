// LoRA training on a half-precision frozen base (engine/f16_base.ts) on WebGPU: a nano model's SFT loss and
// GRPO loss, and their adapter gradients, equal those of the f32 base holding the same f16-rounded weights
// (1e-4: only the order of f32 sums differs), on the fused path (one op per adapted projection) and on the
// stock one; the frozen matrices are int32 words of half the bytes and the tensor count is flat across steps.
// GRPO's sampling on it (the fused decode step projecting through the f16 kernel and the adapters, nothing
// merged) gives the f32 base's merged greedy ids and log-probs, and makes no copy of the weights.
// Would catch: a transposed or mis-strided f16 matmul or dx, a gradient lost through the f16 base, an
// embedding or tied LM head read wrong, a leak per step, a decode step without the adapters or with a copy.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { presetConfig } from '../engine/config';
import { packF16, toF16Bits, unpackF16 } from '../engine/f16';
import { halvableWeights, halveFrozenWeights } from '../engine/f16_base';
import { generate } from '../engine/generate';
import { installCounters } from '../engine/instrument';
import { switchFusedKernels } from '../engine/kernels/fused';
import { addLora, LORA_TARGETS, withAdaptersOff } from '../engine/lora';
import { initParams, maskedNll, type ModelParams, tokenLogProbs } from '../engine/model';
import { switchTestBackend, testBackends } from '../engine/test_backends';
import { grpoLossTensor } from './grpo_loss';

const onWebGPU = (await testBackends()).includes('webgpu');

const cfg = presetConfig('nano', { vocab_size: 40, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 });
const lora = { rank: 4, alpha: 8, dropout: 0, targets: LORA_TARGETS, rslora: false };

/** A nano LoRA model whose frozen matrices hold f16-representable values; B random so every path counts. */
async function model(): Promise<{ params: Record<string, tf.Variable>; adapters: tf.Variable[] }> {
  const params = initParams(cfg, 2);
  const adapters = addLora(params, cfg, lora, { seed: 3 });
  for (const [name, v] of Object.entries(adapters))
    if (name.endsWith('lora_B.weight')) v.assign(tf.randomNormal(v.shape, 0, 0.3, 'float32', name.length));
  for (const name of halvableWeights(params)) {
    const v = params[name];
    const halves = unpackF16(packF16(toF16Bits(await v.data())));
    tf.tidy(() => v.assign(tf.tensor(halves, v.shape)));
  }
  return { params, adapters: Object.values(adapters) };
}

const ids = () =>
  tf.tensor2d(
    [
      [1, 5, 9, 4, 7, 3, 30, 2],
      [1, 8, 8, 6, 12, 39, 2, 0],
      [1, 3, 3, 3, 17, 21, 22, 2],
    ],
    undefined,
    'int32',
  );
const targets = () =>
  tf.tensor2d(
    [
      [5, 9, 4, 7, 3, 30, 2, 11],
      [8, 8, 6, 12, 39, 2, 0, 0],
      [3, 3, 3, 17, 21, 22, 2, 0],
    ],
    undefined,
    'int32',
  );
const mask = () =>
  tf.tensor2d([
    [0, 0, 1, 1, 1, 1, 1, 0],
    [0, 0, 1, 1, 1, 1, 0, 0],
    [0, 1, 1, 1, 1, 1, 1, 0],
  ]);

function sftLoss(p: ModelParams): tf.Scalar {
  return tf.tidy(() => maskedNll(p, cfg, ids(), targets(), mask()));
}

/** The sampling-time (a little off) and reference (adapters off) log-probs: constants of GRPO's loss. */
function grpoConstants(p: ModelParams): [tf.Tensor2D, tf.Tensor2D] {
  return tf.tidy(() => [
    tf.sub(tokenLogProbs(p, cfg, ids(), targets()), 0.05) as tf.Tensor2D,
    withAdaptersOff(() => tokenLogProbs(p, cfg, ids(), targets())),
  ]);
}

/** GRPO's loss for a group of 3 (β > 0, so the reference's term counts too). */
function grpoLoss(p: ModelParams, [old, ref]: [tf.Tensor2D, tf.Tensor2D]): tf.Scalar {
  return tf.tidy(() => {
    const { loss } = grpoLossTensor(
      {
        per_token_logps: tokenLogProbs(p, cfg, ids(), targets()),
        old_per_token_logps: old,
        ref_per_token_logps: ref,
        completion_mask: mask(),
        advantages: tf.tensor1d([1, -0.5, -0.5]),
        weights: tf.tensor1d([1 / 15, 1 / 15, 1 / 15]),
      },
      { epsilonLow: 0.2, epsilonHigh: 0.28, beta: 0.04 },
    );
    return loss;
  });
}

async function lossAndGrads(loss: () => tf.Scalar, adapters: tf.Variable[]) {
  const { value, grads } = tf.variableGrads(loss, adapters);
  const out = {
    loss: (await value.data())[0],
    grads: await Promise.all(adapters.map((v) => grads[v.name].data())),
  };
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

describe.skipIf(!onWebGPU)('LoRA on an f16 frozen base (WebGPU)', () => {
  beforeAll(() => switchTestBackend('webgpu'));

  for (const fused of [true, false])
    it(`SFT and GRPO losses, adapter gradients = the f32 base's (1e-4), ${fused ? 'fused' : 'stock'}`, async () => {
      switchFusedKernels(fused);
      try {
        const f32 = await model(),
          f16 = await model();
        const names = halvableWeights(f16.params);
        expect(names).toContain('model.embed_tokens.weight');
        const freed = await halveFrozenWeights(f16.params);
        for (const n of names) expect(f16.params[n].dtype).toBe('int32');
        expect(freed).toBe(names.reduce((a, n) => a + f32.params[n].size * 2, 0));
        // GRPO's constants from the f32 base, the same for both: the comparison is of the loss's own path
        const consts = grpoConstants(f32.params);
        const losses = [sftLoss, (p: ModelParams) => grpoLoss(p, consts)];
        for (const loss of losses) {
          const want = await lossAndGrads(() => loss(f32.params), f32.adapters);
          const before = tf.memory().numTensors;
          const got = await lossAndGrads(() => loss(f16.params), f16.adapters);
          expect(tf.memory().numTensors).toBe(before); // and again: flat across steps
          await lossAndGrads(() => loss(f16.params), f16.adapters);
          expect(tf.memory().numTensors).toBe(before);
          expect(Math.abs(got.loss - want.loss)).toBeLessThanOrEqual(1e-4);
          want.grads.forEach((g, i) =>
            g.forEach((v, j) => expect(Math.abs(got.grads[i][j] - v)).toBeLessThanOrEqual(1e-4)),
          );
        }
        tf.dispose(consts);
        tf.dispose([...Object.values(f32.params), ...Object.values(f16.params)]);
      } finally {
        switchFusedKernels(false);
      }
    });

  it('sampling: greedy ids and log-probs = the f32 base, adapters merged (1e-4); no copy of the weights', async () => {
    switchFusedKernels(true);
    try {
      const f32 = await model(),
        f16 = await model();
      await halveFrozenWeights(f16.params);
      const prompts = [
        [1, 5, 9, 4],
        [1, 5, 9, 4],
        [1, 7, 3],
      ];
      const o = { maxNewTokens: 12, temperature: 0, seed: 1, eosIds: [], padId: 0 };
      const counters = installCounters();
      /** The generation and the most bytes it added at once. */
      const measured = async (p: ModelParams) => {
        const before = tf.memory().numBytes;
        counters.reset();
        const out = await generate(p, cfg, prompts, o);
        return { out, added: counters.counts.peakBytes - before };
      };
      const want = await measured(f32.params);
      await generate(f16.params, cfg, prompts, o); // warm-up: the programs compile, the pool fills
      const before = tf.memory().numTensors;
      const got = await measured(f16.params);
      counters.uninstall();
      expect(tf.memory().numTensors).toBe(before);
      expect(got.out.tokens).toEqual(want.out.tokens);
      got.out.logProbs.forEach((row, b) =>
        row.forEach((lp, i) => expect(Math.abs(lp - want.out.logProbs[b][i])).toBeLessThan(1e-4)),
      );
      // the f32 base's generation adds a merged copy of every projection; the f16 base's adds none of it
      const projection = /layers\.\d+\.(self_attn|mlp)\.\w+_proj\.weight$/;
      const copyBytes = Object.keys(f32.params)
        .filter((n) => projection.test(n))
        .reduce((a, n) => a + f32.params[n].size * 4, 0);
      console.log(
        `generation added ${want.added} B (f32 base, merged) and ${got.added} B (f16 base); copy ${copyBytes} B`,
      );
      expect(want.added - got.added).toBeGreaterThanOrEqual(0.9 * copyBytes);
      tf.dispose([...Object.values(f32.params), ...Object.values(f16.params)]);
    } finally {
      switchFusedKernels(false);
    }
  });
});

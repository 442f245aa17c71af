// What must hold: a model whose vocabulary tables load in row parts (a tiny binding limit forced on a tiny
// checkpoint, tied and untied heads, parts of unequal size) computes what the same model loaded whole
// computes: the logits, the target log-probs and entropies at a temperature (merged across parts by
// logsumexp, never joined), and greedy generation's ids (stock on CPU, the fused decode on WebGPU). The
// tables are never whole on the device; a binding too small for one row is refused naming the tensor; a
// checkpoint saved from a split model holds the whole tables, bit-exactly as the whole model saves them.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paramsToCheckpoint } from './checkpoint';
import { validateConfig } from './config';
import { generate } from './generate';
import { TINY_VARIANTS, tinyCheckpoint } from './hf/tiny_checkpoint';
import { loadWeights, memorySource } from './hf/weights';
import { fusedKernelsOn, switchFusedKernels } from './kernels/fused';
import { forward, tokenLogProbs, tokenLogProbsAndEntropy } from './model';
import { switchTestBackend, testBackends } from './test_backends';
import { splitLogProbs, vocabPartName } from './vocab_rows';

const variants = ['llama-tied-bf16', 'llama-biases-llama3-rope-f16'].map(
  (n) => TINY_VARIANTS.find((v) => v.name === n)!,
);

async function load(name: string, bindingBytes?: number) {
  const { files } = tinyCheckpoint(variants.find((v) => v.name === name)!, 5);
  const cfg = validateConfig(JSON.parse(new TextDecoder().decode(files['config.json'])));
  return { cfg, params: await loadWeights(memorySource(files), cfg, { bindingBytes }) };
}

const close = async (a: tf.Tensor, b: tf.Tensor, tol: number) => {
  const [x, y] = [await a.data(), await b.data()];
  expect(x.length).toBe(y.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  expect(worst).toBeLessThanOrEqual(tol);
};

describe.each(await testBackends())('vocabulary tables in row parts on %s', (backend) => {
  const wasFused = fusedKernelsOn();
  beforeAll(async () => {
    await switchTestBackend(backend);
    switchFusedKernels(backend === 'webgpu'); // the fused paths where they run
  });
  afterAll(() => switchFusedKernels(wasFused));

  it.each(variants.map((v) => v.name))(
    '%s: same logits, log-probs, entropies and greedy ids as whole',
    async (name) => {
      const whole = await load(name);
      const C = whole.cfg.hidden_size,
        V = whole.cfg.vocab_size;
      const rows = 100; // 576 rows: five parts of 100 and one of 76
      const split = await load(name, rows * C * 4);
      const tables = whole.cfg.tie_word_embeddings
        ? ['model.embed_tokens.weight']
        : ['model.embed_tokens.weight', 'lm_head.weight'];
      for (const t of tables) {
        expect(Object.hasOwn(split.params, t)).toBe(false);
        expect(split.params[vocabPartName(t, 5)].shape).toEqual([V - 5 * rows, C]);
      }
      // ids on both sides of part boundaries, the first and the last row
      const ids = tf.tensor2d(
        [
          [0, 99, 100, 101, 250, 399, 400, 575],
          [575, 3, 200, 199, 500, 501, 76, 1],
        ],
        [2, 8],
        'int32',
      );
      const targets = tf.tensor2d(
        [
          [99, 100, 0, 575, 300, 7, 499, 500],
          [1, 2, 3, 4, 5, 6, 7, 575],
        ],
        [2, 8],
        'int32',
      );
      await close(forward(split.params, split.cfg, ids), forward(whole.params, whole.cfg, ids), 1e-4);
      const opts = { temperature: 0.7, entropy: true };
      const a = tokenLogProbsAndEntropy(split.params, split.cfg, ids, targets, opts);
      const b = tokenLogProbsAndEntropy(whole.params, whole.cfg, ids, targets, opts);
      await close(a.logps, b.logps, 1e-4);
      await close(a.entropy!, b.entropy!, 1e-4);
      // without the entropy the whole model takes the fused log-probs program on WebGPU
      await close(
        tokenLogProbs(split.params, split.cfg, ids, targets),
        tokenLogProbs(whole.params, whole.cfg, ids, targets),
        1e-5,
      );
      const gen = { maxNewTokens: 6, temperature: 0, seed: 1, eosIds: [], padId: 0 };
      const prompts = [
        [1, 99, 100, 575],
        [400, 5],
      ];
      const [g1, g2] = [
        await generate(split.params, split.cfg, prompts, gen),
        await generate(whole.params, whole.cfg, prompts, gen),
      ];
      expect(g1.tokens).toEqual(g2.tokens);
      tf.dispose([
        ids,
        targets,
        a.logps,
        a.entropy!,
        b.logps,
        b.entropy!,
        ...Object.values(split.params),
        ...Object.values(whole.params),
      ]);
    },
  );

  it('saves a split model as whole tables, as the whole model saves', async () => {
    const whole = await load('llama-biases-llama3-rope-f16');
    const split = await load('llama-biases-llama3-rope-f16', 128 * whole.cfg.hidden_size * 4);
    const tok = { model: { type: 'BPE' } } as never; // carried as is
    const [a, b] = [
      await paramsToCheckpoint(split.params, split.cfg, tok),
      await paramsToCheckpoint(whole.params, whole.cfg, tok),
    ];
    expect(Object.keys(a.tensors).sort()).toEqual(Object.keys(b.tensors).sort());
    for (const name of ['model.embed_tokens.weight', 'lm_head.weight']) {
      expect(a.tensors[name].shape).toEqual([whole.cfg.vocab_size, whole.cfg.hidden_size]);
      expect(a.tensors[name].data).toEqual(b.tensors[name].data);
    }
    tf.dispose([...Object.values(split.params), ...Object.values(whole.params)]);
  });

  it('gives log-prob 0 to a target outside the vocabulary, as the whole paths do', async () => {
    const parts = [tf.tensor2d([[1, 2]]), tf.tensor2d([[3, 0.5, -1]])];
    const { logps } = splitLogProbs(parts, tf.tensor1d([4], 'int32'), 1, false);
    const lse = Math.log([1, 2, 3, 0.5, -1].reduce((s, z) => s + Math.exp(z), 0));
    await close(logps, tf.tensor1d([-1 - lse]), 1e-6);
    const out = splitLogProbs(parts, tf.tensor1d([5, -1], 'int32'), 1, false).logps;
    expect(Array.from(await out.data(), Math.abs)).toEqual([0, 0]);
  });

  it('refuses a binding smaller than one row, naming the tensor', async () => {
    await expect(load('llama-tied-bf16', 16)).rejects.toThrow(
      /tensor "model.embed_tokens.weight" needs 192 bytes as float32 for one row/,
    );
  });
});

// What must hold: for every tiny Hugging Face checkpoint of the family (tiny_checkpoint.ts: Llama tied and
// with all biases and llama3 rope, Qwen2 sharded with q/k/v biases and GQA 7:1, Qwen3 with q/k norms and
// head_dim ≠ C / H, Mistral with linear rope; BF16, F16 and F32), loaded through modelFromSource, the engine's
// logits at every real position of a left-padded batch of two chat prompts equal the float64 reference
// forward (reference_forward.ts) within 1e-4, and greedy generation with the KV cache gives the reference's
// ids, stopping at any of its stop ids (the tokenizer's two, and one the reference emits mid-way). On CPU,
// WASM and WebGPU; on WebGPU with the fused kernels off and on (elsewhere the switch changes nothing).
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendName } from '../backend';
import { type RunnableModel, modelFromSource } from '../checkpoint';
import { generate, leftPad } from '../generate';
import { switchFusedKernels } from '../kernels/fused';
import { forward } from '../model';
import { switchTestBackend, testBackends } from '../test_backends';
import { referenceGreedy, referenceLogits } from './reference_forward';
import { TINY_VARIANTS, type TinyCheckpoint, tinyCheckpoint } from './tiny_checkpoint';
import { memorySource } from './weights';

const TOLERANCE = 1e-4;
const NEW_TOKENS = 6;
const QUESTIONS = ['hi', 'Which answer is right: 42 or 43?'];
const modes = (b: BackendName) => (b === 'webgpu' ? [false, true] : [false]);
const runs = [...(await testBackends()), 'wasm' as const].flatMap((b) => modes(b).map((fused) => ({ b, fused })));

/** The reference's answers for one checkpoint, computed once (float64 is slow-ish, and backend-free). */
interface Expected {
  prompts: number[][];
  logits: Float64Array[][]; // per prompt, per position
  stopIds: number[];
  greedy: number[][]; // per prompt, up to and including its stop id
}

function expectedFor(ckpt: TinyCheckpoint, m: RunnableModel): Expected {
  const config = JSON.parse(new TextDecoder().decode(ckpt.files['config.json']));
  const chat = m.tok.chatTemplate!;
  const prompts = QUESTIONS.map(
    (q) => m.tok.encode(chat.render([{ role: 'user', content: q }], { addGenerationPrompt: true })).ids,
  );
  const free = prompts.map((p) => referenceGreedy(config, ckpt.tensors, p, NEW_TOKENS, []));
  // a third stop id: the first of prompt 0's tokens from step 3 on that it has not emitted before
  const first = free[0].ids;
  const extra = first.find((id, i) => i >= 2 && !first.slice(0, i).includes(id)) ?? first[0];
  const stopIds = [...m.tok.eosIds, extra];
  const greedy = free.map(({ ids, gaps }) => {
    const end = ids.findIndex((id) => stopIds.includes(id));
    const kept = end < 0 ? ids : ids.slice(0, end + 1);
    // a near-tie would make the comparison a coin toss, not a test
    expect(Math.min(...gaps.slice(0, kept.length))).toBeGreaterThan(1e-3);
    return kept;
  });
  expect(greedy[0].at(-1)).toBe(extra); // prompt 0 stops at the extra id, before the cap
  return { prompts, logits: prompts.map((p) => referenceLogits(config, ckpt.tensors, p)), stopIds, greedy };
}

const ckpts = TINY_VARIANTS.map((v) => ({ v, ckpt: tinyCheckpoint(v, 7) }));
const expected = new Map<string, Expected>();

describe.each(runs)('tiny HF checkpoints on $b, fused $fused', ({ b, fused }) => {
  beforeAll(async () => {
    await switchTestBackend(b);
    switchFusedKernels(fused); // for the whole generation: it reads the switch at every step
  });
  const models = new Map<string, RunnableModel>();
  afterAll(() => {
    switchFusedKernels(false);
    for (const m of models.values()) tf.dispose(Object.values(m.params));
  });

  for (const { v, ckpt } of ckpts) {
    it(`${v.name}: logits within ${TOLERANCE} of float64; greedy ids equal; any stop id ends`, async () => {
      const m = await modelFromSource(memorySource(ckpt.files));
      models.set(v.name, m);
      if (!expected.has(v.name)) expected.set(v.name, expectedFor(ckpt, m));
      const e = expected.get(v.name)!;
      const { ids, mask, lengths } = leftPad(e.prompts, m.tok.padId);
      const P = ids[0].length,
        V = m.cfg.vocab_size;
      const idsT = tf.tensor2d(ids, undefined, 'int32'),
        maskT = tf.tensor2d(mask, undefined, 'int32');
      let logits: tf.Tensor | null = null;
      const { kernelNames } = await tf.profile(() => {
        logits = forward(m.params, m.cfg, idsT, { attentionMask: maskT });
        return logits;
      });
      // the fused programs ran where they should, and only there
      const ours = kernelNames.filter((k) => k.startsWith('Rubric'));
      if (fused) expect(ours).toEqual(expect.arrayContaining(['RubricAttention', 'RubricRopeQk', 'RubricRmsNorm']));
      else expect(ours).toEqual([]);
      const got = (await logits!.data()) as Float32Array;
      tf.dispose([logits!, idsT, maskT]);
      let maxDiff = 0;
      e.prompts.forEach((_, r) => {
        const pad = P - lengths[r];
        e.logits[r].forEach((row, t) => {
          for (let x = 0; x < V; x++) maxDiff = Math.max(maxDiff, Math.abs(got[(r * P + pad + t) * V + x] - row[x]));
        });
      });
      console.log(`${v.name} on ${b}${fused ? ' (fused)' : ''}: max |logit − reference| ${maxDiff.toExponential(2)}`);
      expect(maxDiff).toBeLessThan(TOLERANCE);

      const out = await generate(m.params, m.cfg, e.prompts, {
        maxNewTokens: NEW_TOKENS,
        temperature: 0,
        seed: 1,
        eosIds: e.stopIds,
        padId: m.tok.padId,
        readEvery: 4,
      });
      expect(out.tokens).toEqual(e.greedy);
      expect(out.stopReasons[0]).toBe('eos');
      tf.dispose(Object.values(m.params));
      models.delete(v.name);
    });
  }
});

// The decode step: the fused T = 1 block (packed projections, in-place KV write, decode attention, packed
// SwiGLU, add + RMSNorm) gives the stock step's logits over several steps of a left-padded batch (< 1e-4 on
// WebGPU; on CPU the switch must change nothing). GPU dispatches per generated token (decode step +
// sampling program, as generate() runs them): at most 12 per decoder layer (measured as the difference
// between a 2- and a 4-layer model), and the same early and late in a long generation
// (decodeCostByPosition; SwiftShader is slow, so 104 tokens rather than 216). With LoRA adapters on every
// projection, decode gives the logits of the model with base + s·B·A merged (1e-5) and, fused, costs exactly
// the dispatches of the model without adapters (a step that ran o or down as base + adapter matmuls would
// cost more). generate() itself: generate.test.ts.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { presetConfig, type LlamaConfig } from './config';
import { decodeStep, packDecodeWeights } from './decode';
import { decodeCostByPosition } from './decode_cost';
import { createStepSampler, leftPad, prefill } from './generate';
import { installCounters } from './instrument';
import { checkTensor } from './kernels/check_tensor';
import { fusedKernelsOn, onWebGPU, switchFusedKernels } from './kernels/fused';
import { createKVCache } from './kv_cache';
import { addLora, LORA_TARGETS, loraParams, mergedParams, withAdaptersOff } from './lora';
import { initParams, type ModelParams } from './model';
import { testBackends, switchTestBackend } from './test_backends';

const tok = { vocab_size: 40, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 };
const nano = presetConfig('nano', tok);
const PROMPTS = [
  [1, 5, 9, 4],
  [1, 7],
  [1, 3, 3, 8, 10, 6],
];
const backends = await testBackends();

/** Logits of `steps` forced decode steps after a prefill, with the switch as given. */
async function decodeLogits(p: ModelParams, cfg: LlamaConfig, fused: boolean, steps: number): Promise<tf.Tensor[]> {
  switchFusedKernels(fused);
  const { ids, mask, lengths } = leftPad(PROMPTS, 0);
  const B = PROMPTS.length,
    P = ids[0].length;
  const cache = createKVCache(cfg, B, P + steps);
  const out = [prefill(p, cfg, cache, tf.tensor2d(ids, undefined, 'int32'), tf.tensor2d(mask, undefined, 'int32'))];
  for (let i = 0; i < steps; i++) {
    const t = tf.tensor1d([11 + i, 20 + 2 * i, 30 - i], 'int32');
    out.push(
      decodeStep(
        p,
        cfg,
        cache,
        t,
        lengths.map((n) => n + i),
        P + i,
      ),
    );
    t.dispose();
  }
  cache.dispose();
  switchFusedKernels(false);
  return out;
}

/** GPU dispatches of one generated token (sampling + decode step) at step 3 of a generation, as generate() runs it. */
function dispatchesPerToken(p: ModelParams, cfg: LlamaConfig): number {
  const B = 2,
    P = 3;
  const cache = createKVCache(cfg, B, P + 8);
  const packed = fusedKernelsOn() && onWebGPU() ? packDecodeWeights(p, cfg) : undefined;
  let logits = prefill(
    p,
    cfg,
    cache,
    tf.tensor2d(
      [
        [1, 4, 6],
        [1, 9, 9],
      ],
      undefined,
      'int32',
    ),
    tf.ones([B, P], 'int32') as tf.Tensor2D,
  );
  const sampler = createStepSampler(B, 8, {
    maxNewTokens: 8,
    temperature: 0.8,
    topK: 5,
    topP: 0.9,
    seed: 1,
    eosIds: [2],
    padId: 0,
  });
  const step = (i: number) => {
    const ids = sampler.sample(logits, i);
    const next = decodeStep(p, cfg, cache, ids, [P + i, P + i], P + i, packed);
    tf.dispose([ids, logits]);
    logits = next;
  };
  for (let i = 0; i < 3; i++) step(i); // first uses: compiles, pool growth
  const counters = installCounters();
  counters.reset();
  step(3);
  counters.uninstall();
  tf.dispose(logits);
  sampler.dispose();
  packed?.dispose();
  cache.dispose();
  return counters.counts.gpuDispatches;
}

describe.each(backends)('decode step on %s', (backend) => {
  let params: ModelParams;
  beforeAll(async () => {
    await switchTestBackend(backend);
    params = initParams({ ...nano, initializer_range: 0.5 }, 11);
  });
  afterEach(() => switchFusedKernels(false));
  const tol = backend === 'webgpu' ? 1e-4 : 0;

  it(`fused decode logits = stock over 5 steps of a left-padded GQA batch (max error ≤ ${tol})`, async () => {
    const stock = await decodeLogits(params, nano, false, 5),
      fused = await decodeLogits(params, nano, true, 5);
    for (let i = 0; i < stock.length; i++)
      expect(await checkTensor(fused[i], stock[i], `${backend} step ${i} logits`)).toBeLessThanOrEqual(tol);
    tf.dispose([...stock, ...fused]);
  });

  it.runIf(backend === 'webgpu')(
    'fused: ≤ 12 GPU dispatches per decoder layer per generated token (nano and tiny, 2 vs 4 layers)',
    () => {
      const counts: Record<string, number> = {};
      for (const [name, base] of [
        ['nano', nano],
        ['tiny', presetConfig('tiny', tok)],
      ] as const) {
        for (const L of [2, 4]) {
          const cfg = { ...base, num_hidden_layers: L };
          const p = initParams(cfg, 2);
          for (const fused of [false, true]) {
            switchFusedKernels(fused);
            counts[`${name} L=${L} ${fused ? 'fused' : 'stock'}`] = dispatchesPerToken(p, cfg);
          }
          switchFusedKernels(false);
          tf.dispose(Object.values(p));
        }
      }
      const perLayer = (name: string, path: string) =>
        (counts[`${name} L=4 ${path}`] - counts[`${name} L=2 ${path}`]) / 2;
      console.log('GPU dispatches per generated token', counts, 'per layer', {
        nanoFused: perLayer('nano', 'fused'),
        nanoStock: perLayer('nano', 'stock'),
        tinyFused: perLayer('tiny', 'fused'),
        tinyStock: perLayer('tiny', 'stock'),
      });
      expect(perLayer('nano', 'fused')).toBeLessThanOrEqual(12);
      expect(perLayer('tiny', 'fused')).toBeLessThanOrEqual(12);
    },
  );

  it.runIf(backend === 'webgpu')(
    'fused: a token costs the same dispatches at tokens 1–4 and 100–104 (the cache is preallocated)',
    async () => {
      switchFusedKernels(true);
      const cost = await decodeCostByPosition(params, nano, {
        batch: 1,
        promptLength: 3,
        windows: [
          [1, 4],
          [100, 104],
        ],
      });
      console.log('decode cost by position (nano, fused, SwiftShader)', cost);
      expect(cost[1].dispatchesPerToken).toBe(cost[0].dispatchesPerToken);
      expect(cost[1].kernelsPerToken).toBe(cost[0].kernelsPerToken);
    },
    600_000,
  );

  it('LoRA on every projection: decode gives the merged model (1e-5); fused, as many dispatches', async () => {
    const p = initParams({ ...nano, initializer_range: 0.1 }, 12);
    addLora(p, nano, { rank: 4, alpha: 8, dropout: 0, targets: LORA_TARGETS, rslora: false }, { seed: 12 });
    let seed = 40;
    for (const [name, v] of Object.entries(loraParams(p)))
      if (name.endsWith('lora_B.weight')) {
        const b = tf.randomNormal(v.shape, 0, 0.05, 'float32', seed++);
        v.assign(b);
        b.dispose(); // assign shares the data; the handle is ours
      }
    const view = mergedParams(p);
    const merged = view.params as ModelParams;
    const bare = Object.fromEntries(Object.entries(p).filter(([n]) => !n.includes('lora_')));
    for (const fused of backend === 'webgpu' ? [false, true] : [false]) {
      const adapted = await decodeLogits(p, nano, fused, 3),
        want = await decodeLogits(merged, nano, fused, 3),
        base = await decodeLogits(bare, nano, fused, 1);
      const path = `${backend} ${fused ? 'fused' : 'stock'}`;
      for (let i = 0; i < want.length; i++)
        expect(await checkTensor(adapted[i], want[i], `${path} LoRA step ${i}`)).toBeLessThanOrEqual(1e-5);
      // the adapters change the logits: a decode that dropped them would fail above, not pass by equality
      expect(await checkTensor(base[1], want[1], `${path} base vs merged`)).toBeGreaterThan(1e-3);
      tf.dispose([...adapted, ...want, ...base]);
    }
    if (backend === 'webgpu') {
      switchFusedKernels(true);
      const withLora = dispatchesPerToken(p, nano),
        without = withAdaptersOff(() => dispatchesPerToken(p, nano));
      console.log('GPU dispatches per generated token, nano fused', { withLora, without });
      expect(withLora).toBe(without);
    }
    view.dispose();
    tf.dispose(Object.values(p));
  });
});

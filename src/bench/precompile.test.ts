// The shader precompile (engine/precompile.ts) on WebGPU, nano, stock and fused kernels: on a fresh
// device it compiles pipelines without running anything, after which the first real training step and
// the first generated tokens compile nothing more (it covers them), the step's loss is finite (real
// parameters untouched), and no tensor is left behind. Lives with the bench, which uses it, because it
// checks against the training step of train/lm_step.ts.
// Run: npx vitest run src/bench/precompile.test.ts
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from '../engine/config';
import { generate } from '../engine/generate';
import { switchFusedKernels } from '../engine/kernels/fused';
import { initParams } from '../engine/model';
import { nodeWebGPUAvailable } from '../engine/node_webgpu';
import { precompileGeneration, precompileTraining } from '../engine/precompile';
import { switchTestBackend } from '../engine/test_backends';
import { defaultTokenizer } from '../engine/tokenizer';
import { createLmTrainer } from '../train/lm_step';
import { benchBatch, TRAIN_HP } from './bench';
import { restartWebGPU } from './first_step';

const tok = defaultTokenizer();
const cfg = presetConfig('nano', {
  vocab_size: tok.vocabSize,
  bos_token_id: tok.bosId,
  eos_token_id: tok.eosId,
  pad_token_id: tok.padId,
});
const shapes = {
  preset: 'nano' as const,
  trainSteps: 1,
  batchSize: 2,
  seqLen: 16,
  genBatch: 2,
  promptLen: 4,
  genTokens: 2,
};

const why = await nodeWebGPUAvailable();

describe('shader precompile (WebGPU)', () => {
  it.skipIf(why !== null).each(['stock', 'fused'])(
    'covers the first training step and generation (%s kernels)',
    async (kernels) => {
      await switchTestBackend('webgpu');
      switchFusedKernels(kernels === 'fused');
      try {
        await restartWebGPU();
        // pipelineCache is private in tfjs's types
        const cache = () => Object.keys((tf.backend() as unknown as { pipelineCache: object }).pipelineCache);
        const tensors = tf.memory().numTensors;
        const batch = benchBatch(cfg, shapes);
        const train = await precompileTraining(cfg, { batchSize: batch.ids.length, seqLen: batch.ids[0].length });
        const gen = await precompileGeneration(cfg, shapes.genBatch, shapes.promptLen);
        console.log(
          `${kernels}: precompiled ${train.pipelines} + ${gen.pipelines} pipelines in ${train.ms.toFixed(0)} + ` +
            `${gen.ms.toFixed(0)} ms`,
        );
        expect(train.pipelines).toBeGreaterThan(0);
        expect(tf.memory().numTensors).toBe(tensors);
        const compiled = new Set(cache());

        const params = initParams(cfg, 1);
        const trainer = createLmTrainer(params, cfg, TRAIN_HP);
        const { loss } = await trainer.step(batch, 1e-3);
        const prompts = batch.ids.map((r) => r.slice(0, shapes.promptLen));
        await generate(params, cfg, prompts, {
          maxNewTokens: 2,
          temperature: 1,
          seed: 1,
          eosIds: [],
          padId: tok.padId,
        });
        trainer.dispose();
        tf.dispose(Object.values(params));
        expect(Number.isFinite(loss) && loss > 0).toBe(true);
        expect(cache().filter((k) => !compiled.has(k))).toEqual([]);
      } finally {
        switchFusedKernels(false);
      }
    },
  );
});

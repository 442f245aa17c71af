// The smoke train: `nano` learns a short built-in text for a few dozen steps. It proves the whole stack
// (backend, model, autograd, optimizer, readback) works on this machine, and is the seed of the Train
// page. A steppable run: the caller drives `step()` and may stop at any point.
import * as tf from '@tensorflow/tfjs';
import { presetConfig, type LlamaConfig, type PresetName } from '../engine/config';
import { initParams, type ModelParams } from '../engine/model';
import { ADAMW_MOMENTS } from '../engine/optimizer';
import { createRng } from '../engine/rng';
import { learningRateAt } from '../engine/schedule';
import { defaultTokenizer } from '../engine/tokenizer';
import { createLmTrainer, type LmBatch } from './lm_step';

export const SMOKE_TEXT =
  '<type>Chat</type><rubric>1. follows the rule (60%)\n2. is polite (40%)</rubric>' +
  '<eval>1A:ok 1B:no 2A:ok 2B:ok</eval><answer>[[A]]</answer>\n';

export interface SmokeConfig {
  preset: PresetName; // model size; nano is the test shape
  steps: number; // total optimizer steps
  batchSize: number; // rows per step
  seqLen: number; // tokens per row
  lr: number; // peak learning rate (constant after a short warmup)
  seed: number; // init and batch order
}

export const SMOKE_DEFAULTS: SmokeConfig = { preset: 'nano', steps: 40, batchSize: 8, seqLen: 32, lr: 1e-2, seed: 1 };

export interface SmokeStep {
  step: number;
  loss: number;
  gradNorm: number;
  lr: number;
  tokensPerSecond: number;
}

export interface SmokeRun {
  readonly config: LlamaConfig;
  readonly params: ModelParams;
  step(): Promise<SmokeStep>;
  done(): boolean;
  dispose(): void;
}

export function createSmokeRun(cfg: SmokeConfig = SMOKE_DEFAULTS, text = SMOKE_TEXT): SmokeRun {
  const tok = defaultTokenizer();
  const ids = tok.encode(text.repeat(Math.ceil((cfg.seqLen + 2) / text.length) + 1)).ids;
  const config = presetConfig(cfg.preset, {
    vocab_size: tok.vocabSize,
    bos_token_id: tok.bosId,
    eos_token_id: tok.eosId,
    pad_token_id: tok.padId,
  });
  const params = initParams(config, cfg.seed);
  const trainer = createLmTrainer(params, config, {
    lr: cfg.lr,
    ...ADAMW_MOMENTS,
    weightDecay: 0,
    maxGradNorm: 1,
  });
  const rng = createRng(cfg.seed + 1);
  let t = 0;

  const sampleBatch = (): LmBatch => {
    const batch: LmBatch = { ids: [], targets: [], mask: [] };
    for (let b = 0; b < cfg.batchSize; b++) {
      const start = rng.int(ids.length - cfg.seqLen - 1);
      batch.ids.push(ids.slice(start, start + cfg.seqLen));
      batch.targets.push(ids.slice(start + 1, start + cfg.seqLen + 1));
      batch.mask.push(new Array(cfg.seqLen).fill(1));
    }
    return batch;
  };

  return {
    config,
    params,
    done: () => t >= cfg.steps,
    async step() {
      const lr = learningRateAt(t, {
        peakLr: cfg.lr,
        warmupSteps: 3,
        totalSteps: cfg.steps,
        schedule: 'constant',
        minLrRatio: 1,
      });
      const t0 = performance.now();
      const r = await trainer.step(sampleBatch(), lr);
      const seconds = (performance.now() - t0) / 1000;
      t++;
      return { step: t, loss: r.loss, gradNorm: r.gradNorm, lr, tokensPerSecond: r.tokens / seconds };
    },
    dispose() {
      trainer.dispose();
      tf.dispose(Object.values(params));
    },
  };
}

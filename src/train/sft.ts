// Stage 1, reasoning distillation: token NLL on the judge trace only (the prompt is masked), with
// batches grouped by length so little compute goes to padding, and a held-out loss. A steppable run:
// `step()` does one optimizer update and returns plain data; the CLI, the worker and tests drive it.
// `snapshot()` and the `resume` argument continue a run exactly: the batch order is a pure function of the
// seed and the epoch, the schedule of the step, so the step count and AdamW's state are all it needs.
import type { LlamaConfig } from '../engine/config';
import type { ModelParams } from '../engine/model';
import { ADAMW_MOMENTS, type AdamWSnapshot } from '../engine/optimizer';
import { createRng, shuffle } from '../engine/rng';
import { learningRateAt } from '../engine/schedule';
import type { TextTokenizer } from '../engine/text_tokenizer';
import { endOfTurnId, modelPrompt } from '../rm/cor_prompt';
import type { Pair } from '../rm/pair';
import { createLmTrainer, type LmBatch } from './lm_step';

/** Distillation's settings; their defaults, ranges and help are in run_config.ts. */
export interface SftConfig {
  epochs: number; // passes over the traced split
  batchSize: number; // sequences per step
  lr: number; // peak learning rate
  warmupSteps: number; // linear warmup
  schedule: 'cosine' | 'constant'; // after warmup
  weightDecay: number; // AdamW λ on matrices
  maxGradNorm: number; // global-norm clip
  evalEvery: number; // steps between held-out losses (0: only at the end)
  lengthBucket: number; // pad lengths up to a multiple of this: fewer distinct shapes, flatter buffer pools
  microBatch: number; // sequences per forward/backward, gradients summed into one step (0: the whole batch)
  recompute: boolean; // recompute each block's activations in the backward pass (less memory, one more forward)
  seed: number; // batch order
}

/** A pair and the judge trace the model must learn to write for it (as shown: A first). */
export interface SftExample {
  pair: Pick<Pair, 'prompt' | 'a' | 'b'>;
  trace: string;
}

/**
 * The example as ids and where the trace starts: the judge prompt exactly as the model reads it when judging
 * (cor_prompt.ts's modelPrompt: our `<bos>` + compact text, or a real model's system and user turns through its
 * chat template with the generation prompt), then the trace and the token that ends the answer (our <eos>, the
 * template's end of turn). Prompt and trace are encoded apart, as judging reads them (prompt ids, then sampled
 * ones); the loss covers trace + end (TRL's completion-only loss). Throws naming the example if too long.
 */
export function encodeExample(
  tok: TextTokenizer,
  ex: SftExample,
  maxLen: number,
  where = 'example',
): { ids: number[]; traceStart: number } {
  const prompt = modelPrompt(tok, ex.pair).ids;
  const trace = [...tok.encode(ex.trace).ids, endOfTurnId(tok)];
  const ids = [...prompt, ...trace];
  if (ids.length > maxLen)
    throw new Error(
      `${where}: ${ids.length} tokens (prompt ${prompt.length} ` +
        `+ trace ${trace.length}) exceed the context of ${maxLen}`,
    );
  return { ids, traceStart: prompt.length };
}

/** Rows padded right to the batch's bucketed length; targets are ids shifted left; mask covers trace + eos. */
export function toBatch(
  rows: { ids: number[]; traceStart: number }[],
  padId: number,
  bucket: number,
  maxLen: number,
): LmBatch {
  const longest = Math.max(...rows.map((r) => r.ids.length - 1));
  const T = Math.min(Math.ceil(longest / bucket) * bucket, maxLen);
  const batch: LmBatch = { ids: [], targets: [], mask: [] };
  for (const { ids, traceStart } of rows) {
    const n = ids.length - 1;
    const pad = (xs: number[], v: number) => [...xs, ...new Array(T - xs.length).fill(v)];
    batch.ids.push(pad(ids.slice(0, n), padId));
    batch.targets.push(pad(ids.slice(1), padId));
    // target t predicts ids[t+1]: it counts when ids[t+1] is part of the trace
    batch.mask.push(
      pad(
        Array.from({ length: n }, (_, t) => (t + 1 >= traceStart ? 1 : 0)),
        0,
      ),
    );
  }
  return batch;
}

/** Groups examples of similar length (sort, chunk), then shuffles the order of the groups. */
export function lengthBatches(
  rows: { ids: number[]; traceStart: number }[],
  batchSize: number,
  seed: number,
): { ids: number[]; traceStart: number }[][] {
  const rng = createRng(seed);
  const jittered = rows.map((r) => ({ r, key: r.ids.length + rng.next() })); // random ties
  jittered.sort((a, b) => a.key - b.key);
  const groups: { ids: number[]; traceStart: number }[][] = [];
  for (let i = 0; i < jittered.length; i += batchSize) groups.push(jittered.slice(i, i + batchSize).map((j) => j.r));
  return shuffle(groups, rng);
}

export interface SftStepReport {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  gradNorm: number;
  lr: number;
  tokens: number;
  seconds: number;
  evalLoss?: number;
}

/** Where a distillation run stands: the optimizer steps taken and AdamW's state after them. */
export interface SftResume {
  step: number;
  optimizer: AdamWSnapshot;
}

export interface SftRun {
  readonly totalSteps: number;
  step(): Promise<SftStepReport>;
  done(): boolean;
  /** Where it stands now (one readback of the moments); `createSftRun(…, resume)` continues from it. */
  snapshot(): Promise<SftResume>;
  heldOutLoss(): Promise<number>;
  dispose(): void;
}

export function createSftRun(
  params: ModelParams,
  cfg: LlamaConfig,
  tok: TextTokenizer,
  sft: SftConfig,
  train: SftExample[],
  heldOut: SftExample[],
  resume?: SftResume,
): SftRun {
  const maxLen = cfg.max_position_embeddings;
  const enc = (xs: SftExample[], name: string) =>
    xs.map((x, i) => encodeExample(tok, x, maxLen + 1, `${name} example ${i + 1}`));
  const trainRows = enc(train, 'training');
  const evalBatches = lengthBatches(enc(heldOut, 'held-out'), sft.batchSize, 0).map((g) =>
    toBatch(g, tok.padId, sft.lengthBucket, maxLen),
  );
  const perEpoch = Math.ceil(trainRows.length / sft.batchSize);
  const totalSteps = perEpoch * sft.epochs;
  if (resume && (resume.step !== resume.optimizer.step || resume.step > totalSteps))
    throw new Error(
      `distillation snapshot: step ${resume.step} with ${resume.optimizer.step} optimizer steps; ` +
        `the run has ${totalSteps} steps`,
    );
  const trainer = createLmTrainer(params, cfg, {
    lr: sft.lr,
    ...ADAMW_MOMENTS,
    weightDecay: sft.weightDecay,
    maxGradNorm: sft.maxGradNorm,
    startStep: resume?.step,
    microBatch: sft.microBatch,
    recompute: sft.recompute,
  });
  try {
    if (resume) trainer.optimizer.importState(resume.optimizer);
  } catch (e) {
    trainer.dispose();
    throw e;
  }
  let t = resume?.step ?? 0;
  let epochBatches: LmBatch[] = [];
  let batchesOf = -1; // the epoch epochBatches belong to

  async function heldOutLoss(): Promise<number> {
    if (!evalBatches.length) return NaN;
    let sum = 0,
      n = 0;
    for (const b of evalBatches) {
      const tokens = b.mask.flat().reduce((a, x) => a + x, 0);
      sum += (await trainer.evalLoss(b)) * tokens;
      n += tokens;
    }
    return sum / n;
  }

  return {
    totalSteps,
    done: () => t >= totalSteps,
    heldOutLoss,
    async step() {
      const epoch = Math.floor(t / perEpoch);
      if (epoch !== batchesOf) {
        epochBatches = lengthBatches(trainRows, sft.batchSize, sft.seed + epoch).map((g) =>
          toBatch(g, tok.padId, sft.lengthBucket, maxLen),
        );
        batchesOf = epoch;
      }
      const lr = learningRateAt(t, {
        peakLr: sft.lr,
        warmupSteps: sft.warmupSteps,
        totalSteps,
        schedule: sft.schedule,
        minLrRatio: 0.1,
      });
      const t0 = performance.now();
      const r = await trainer.step(epochBatches[t % perEpoch], lr);
      const seconds = (performance.now() - t0) / 1000;
      t++;
      const report: SftStepReport = {
        step: t,
        totalSteps,
        epoch,
        loss: r.loss,
        gradNorm: r.gradNorm,
        lr,
        tokens: r.tokens,
        seconds,
      };
      if ((sft.evalEvery > 0 && t % sft.evalEvery === 0) || t === totalSteps) report.evalLoss = await heldOutLoss();
      return report;
    },
    snapshot: async () => ({ step: t, optimizer: await trainer.optimizer.exportState() }),
    dispose: () => trainer.dispose(),
  };
}

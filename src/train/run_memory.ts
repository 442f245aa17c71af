// A run's training memory before Start: each stage's step (distillation's batch of the longest traces;
// GRPO's G × prompts judgements, their sampling and their loss) planned by engine/train_memory.ts from the
// run's settings, against the adapter's limits and the run's GPU memory budget; and the refusal, with the
// numbers and the micro-batch and recomputation settings that would fit.
import type { LlamaConfig } from '../engine/config';
import { binaryBytes, type MemoryLimits } from '../engine/memory';
import { fitTraining, planTraining, type TrainMemoryPlan, type TrainMemoryRequest } from '../engine/train_memory';
import { loraOf, type RunConfig } from './run_config';
import type { RunShapes } from './run_estimate';

export interface StageMemory {
  stage: 'sft' | 'grpo';
  request: TrainMemoryRequest;
  plan: TrainMemoryPlan;
  fit: { microBatch: number; recompute: boolean } | null; // what fits when the plan does not
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;
const UNLIMITED: MemoryLimits = { maxBufferSize: Infinity, maxStorageBufferBindingSize: Infinity };

/** The limits a run is planned against: the adapter's (null: none to check) and the run's budget. */
export function runLimits(run: RunConfig, adapter: MemoryLimits | null): MemoryLimits {
  const budget = run.gpuMemory > 0 ? { deviceBytes: run.gpuMemory * 2 ** 20 } : {};
  return { ...(adapter ?? UNLIMITED), ...budget };
}

/** Each stage the run has, planned for its largest step. */
export function runMemory(
  run: RunConfig,
  cfg: LlamaConfig,
  sh: Pick<RunShapes, 'promptLen' | 'traceLen'>,
  limits: MemoryLimits,
): StageMemory[] {
  const ctx = cfg.max_position_embeddings;
  const lora = loraOf(run);
  const common = { lora: lora && { rank: lora.rank, targets: lora.targets } };
  const out: StageMemory[] = [];
  const add = (stage: StageMemory['stage'], request: TrainMemoryRequest) => {
    const fit = fitTraining(cfg, request, limits);
    const plan = planTraining(cfg, request, limits);
    out.push({ stage, request, plan, fit: fit && { microBatch: fit.microBatch, recompute: fit.recompute } });
  };
  if (run.stage !== 'grpo')
    add('sft', {
      ...common,
      rows: run.sft.batchSize,
      microBatch: run.sft.microBatch,
      recompute: run.sft.recompute,
      length: Math.min(ctx, roundUp(sh.promptLen + sh.traceLen - 1, run.sft.lengthBucket)),
    });
  if (run.stage !== 'sft') {
    const g = run.grpo;
    const newTokens = Math.max(1, Math.min(g.maxCompletionLength, ctx - sh.promptLen));
    const rows = g.promptsPerStep * g.numGenerations;
    add('grpo', {
      ...common,
      rows,
      microBatch: g.microBatch,
      recompute: g.recompute,
      length: Math.min(ctx, roundUp(sh.promptLen, g.lengthBucket) + roundUp(newTokens, g.lengthBucket) - 1),
      sampling: { sequences: rows, promptTokens: sh.promptLen, newTokens },
    });
  }
  return out;
}

/** The settings that fit a stage that does not, e.g. "sft.microBatch 4 and sft.recompute on"; null if none. */
export function fitText(s: StageMemory): string | null {
  if (!s.fit) return null;
  return `${s.stage}.microBatch ${s.fit.microBatch}${s.fit.recompute ? ` and ${s.stage}.recompute on` : ''}`;
}

/** Why the run cannot start (each stage that does not fit, its numbers and what would), or null. */
export function memoryRefusal(stages: StageMemory[]): string | null {
  const bad = stages.filter((s) => s.plan.problems.length > 0);
  if (!bad.length) return null;
  return bad
    .map((s) => {
      const name = s.stage === 'sft' ? 'Distillation' : 'GRPO';
      const fix = fitText(s);
      const how = fix
        ? `It fits with ${fix}.`
        : 'No micro-batch or recomputation fits it: a smaller model, batch or length, or LoRA.';
      const peak = binaryBytes(s.plan.totalBytes);
      return `${name} does not fit in memory (step peak ${peak}): ${s.plan.problems.join('; ')}. ${how}`;
    })
    .join(' ');
}

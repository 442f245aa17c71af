// A run's training memory before Start: each stage's step (distillation's batch of the longest traces;
// GRPO's G × prompts judgements, their sampling and their loss) planned by engine/train_memory.ts from the
// run's settings, against the adapter's limits and the run's GPU memory budget; and the refusal, with the
// numbers and the micro-batch and recomputation settings that would fit. For the command line, the plan in
// full (`planLines`) and run settings that would fit a stage that does not (`fittingSettings`: micro-batch and
// recomputation, LoRA or a lower rank, shorter judgements, fewer prompts), each checked by the same plan.
import type { LlamaConfig } from '../engine/config';
import { binaryBytes, type MemoryLimits } from '../engine/memory';
import { fitTraining, planTraining, type TrainMemoryPlan, type TrainMemoryRequest } from '../engine/train_memory';
import { applyOverrides, loraOf, type RunConfig } from './run_config';
import type { RunShapes } from './run_estimate';

export interface StageMemory {
  stage: 'sft' | 'grpo';
  request: TrainMemoryRequest;
  plan: TrainMemoryPlan;
  fit: { microBatch: number; recompute: boolean } | null; // what fits when the plan does not
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/**
 * A GRPO pass's row as grpo_batch.ts pads it: prompt and judgement each to a multiple of the length bucket
 * (within the context), the loss's head over the prompt's last position and the padded judgement.
 */
export function grpoPassShape(promptTokens: number, newTokens: number, lengthBucket: number, ctx = Infinity) {
  const judgement = roundUp(newTokens, lengthBucket);
  return { length: Math.min(ctx, roundUp(promptTokens, lengthBucket) + judgement - 1), headTokens: judgement + 1 };
}

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
  // a LoRA base in half precision where the loader makes it so: on WebGPU (its limits name the kernel path)
  const baseWeights = lora && run.lora.base === 'f16' && limits.path ? ('f16' as const) : ('f32' as const);
  const common = { lora: lora && { rank: lora.rank, targets: lora.targets }, baseWeights };
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
    const { length, headTokens } = grpoPassShape(sh.promptLen, newTokens, g.lengthBucket, ctx);
    add('grpo', {
      ...common,
      rows,
      microBatch: g.microBatch,
      recompute: g.recompute,
      length,
      sampling: { sequences: rows, prompts: g.promptsPerStep, promptTokens: sh.promptLen, newTokens, headTokens },
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

const STAGE_NAME = { sft: 'distillation', grpo: 'GRPO' } as const;

/** A budget problem's parts are on the plan's line already. */
const short = (problem: string) =>
  problem.replace(/^weights .* = (\S+ \S+), past the device budget.*$/, 'past the budget');

/** Each stage's plan as lines: the step's peak and its parts, against the budget. */
export function planLines(stages: StageMemory[], limits: MemoryLimits): string[] {
  const b = binaryBytes;
  const budget = limits.deviceBytes === undefined ? 'no device budget known' : `budget ${b(limits.deviceBytes)}`;
  return stages.map(({ stage, request: r, plan: p }) => {
    const how =
      `${r.lora ? `LoRA r = ${r.lora.rank}${r.baseWeights === 'f16' ? ', f16 base' : ''}` : 'full fine-tuning'}, ` +
      `${p.microRows} of ${r.rows} rows × ` +
      `${r.length} tokens a pass${r.recompute ? ', blocks recomputed' : ''}`;
    const sampling = r.sampling
      ? `, sampling ${b(p.samplingBytes)} (KV cache ${b(p.kvCacheBytes)}), the reference pass ${b(p.referenceBytes)}`
      : '';
    return (
      `${STAGE_NAME[stage]} (${how}): step peak ${b(p.totalBytes)} of ${budget} = weights ` +
      `${b(p.frozenBytes + p.trainedBytes)} + AdamW moments ${b(p.optimizerBytes)} + the larger of gradients ` +
      `${b(p.gradientBytes)} + activations ${b(p.activationBytes)}${sampling}` +
      `${p.problems.length ? ` — does not fit: ${p.problems.map(short).join('; ')}` : ''}`
    );
  });
}

/** Run settings (as `--key value` flags) that make a stage fit, each checked by the plan: micro-batch and
 * recomputation first, then LoRA (or a lower rank), then shorter GRPO judgements or fewer prompts per step,
 * each with the micro-batch that then fits; empty when nothing tried fits. */
export function fittingSettings(
  run: RunConfig,
  cfg: LlamaConfig,
  sh: Pick<RunShapes, 'promptLen' | 'traceLen'>,
  limits: MemoryLimits,
  stage: StageMemory['stage'],
): string[] {
  const lora = loraOf(run);
  const g = run.grpo;
  const halves = (from: number, floor: number) => {
    const out: number[] = [];
    for (let x = Math.floor(from / 2); x >= floor; x = Math.floor(x / 2)) out.push(x);
    return out;
  };
  const tries: Record<string, string>[] = [{}];
  if (!lora) tries.push({ 'lora.rank': '8', 'lora.alpha': '16' });
  else for (const r of halves(lora.rank, 1)) tries.push({ 'lora.rank': String(r) });
  if (stage === 'grpo') {
    for (const n of halves(g.maxCompletionLength, 16)) tries.push({ 'grpo.maxCompletionLength': String(n) });
    for (const n of halves(g.promptsPerStep, 1)) tries.push({ 'grpo.promptsPerStep': String(n) });
  }
  const found: string[] = [];
  for (const t of tries) {
    const alt = applyOverrides(run, t);
    const s = runMemory(alt, cfg, sh, limits).find((x) => x.stage === stage);
    if (!s) continue;
    const extra =
      s.plan.problems.length === 0
        ? {}
        : s.fit && {
            [`${stage}.microBatch`]: String(s.fit.microBatch),
            ...(s.fit.recompute ? { [`${stage}.recompute`]: 'true' } : {}),
          };
    if (!extra) continue;
    const flags = Object.entries({ ...t, ...extra })
      .map(([k, v]) => `--${k} ${v}`)
      .join(' ');
    if (flags) found.push(flags);
    if (found.length === 3) break;
  }
  return found;
}

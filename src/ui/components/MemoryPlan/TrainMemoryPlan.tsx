// A run's training memory before Start (train/run_memory.ts), one table per stage: parameters trained of
// all, weights frozen and trained, AdamW's moments, gradients, the backward pass's activations for the
// micro-batch (kept or recomputed), GRPO's sampling KV cache, the step's peak, the largest tensor, the
// adapter's limits; what does not fit and the micro-batch and recomputation that would. Presentational.
import { memo } from 'react';
import { binaryBytes, type MemoryLimits } from '../../../engine/memory';
import { fitText, type StageMemory } from '../../../train/run_memory';
import { limitsText, PlanTable } from './MemoryPlan';

export interface TrainMemoryPlanProps {
  stages: StageMemory[];
  limits: MemoryLimits | null; // null: no WebGPU adapter here
  budget: number; // the run's GPU memory budget in MiB (0: not checked)
}

const count = (n: number) => n.toLocaleString('en-US');
const NAMES = { sft: 'distillation step', grpo: 'GRPO step' };

function rowsOf({ request: r, plan: p }: StageMemory, limits: MemoryLimits | null, budget: number): [string, string][] {
  const rows: [string, string][] = [
    ['parameters trained', `${count(p.trained)} of ${count(p.params)}${r.lora ? ` (LoRA r = ${r.lora.rank})` : ''}`],
    [
      r.lora && r.baseWeights === 'f16' ? 'weights (frozen in f16, adapters in float32)' : 'weights (float32)',
      r.lora
        ? `${binaryBytes(p.frozenBytes)} frozen + ${binaryBytes(p.trainedBytes)} adapters`
        : binaryBytes(p.trainedBytes),
    ],
    ['AdamW moments', binaryBytes(p.optimizerBytes)],
    ['gradients', binaryBytes(p.gradientBytes)],
    [
      `activations (${p.microRows} of ${r.rows} rows × ${r.length} tokens, ${r.recompute ? 'recomputed' : 'kept'})`,
      binaryBytes(p.activationBytes),
    ],
  ];
  if (r.sampling)
    rows.push([
      `KV cache for sampling (${r.sampling.sequences} × ${r.sampling.promptTokens + r.sampling.newTokens} tokens)`,
      binaryBytes(p.kvCacheBytes),
    ]);
  rows.push(
    ['step peak (estimate)', binaryBytes(p.totalBytes)],
    ['largest tensor', `${p.largest.what}: ${binaryBytes(p.largest.bytes)}`],
    ['adapter limits', limitsText(limits)],
    ['GPU memory budget', budget > 0 ? binaryBytes(budget * 2 ** 20) : 'not set (gpuMemory): not checked'],
  );
  return rows;
}

export const TrainMemoryPlan = memo(function TrainMemoryPlan({ stages, limits, budget }: TrainMemoryPlanProps) {
  return (
    <details className="train-memory" data-testid="train-memory" open={stages.some((s) => s.plan.problems.length)}>
      <summary>
        Memory: {stages.map((s) => `${NAMES[s.stage]} ${binaryBytes(s.plan.totalBytes)}`).join(', ')}
        {stages.some((s) => s.plan.problems.length) ? ' — does not fit' : ''}
      </summary>
      {stages.map((s) => (
        <div key={s.stage}>
          <h4>{NAMES[s.stage]}</h4>
          <PlanTable
            rows={rowsOf(s, limits, budget)}
            problems={
              s.plan.problems.length && s.fit ? [...s.plan.problems, `fits with ${fitText(s)}`] : s.plan.problems
            }
            testId={`train-memory-${s.stage}`}
          />
        </div>
      ))}
    </details>
  );
});

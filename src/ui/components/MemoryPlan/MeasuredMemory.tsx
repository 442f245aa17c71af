// The device memory a run measured, per stage: the most its steps held (the metrics' device_bytes: WebGPU's
// buffers with the pool's, or WASM's heap), beside the plan's step peak where the page has the run's plan.
// Nothing before a step has logged it, or on the CPU backend. Presentational.
import { memo } from 'react';
import { binaryBytes } from '../../../engine/memory';
import type { MetricsRow } from '../../../train/pipeline';

type Stage = 'sft' | 'grpo';
const NAMES: Record<Stage, string> = { sft: 'distillation', grpo: 'GRPO' };

/** The largest device_bytes each training stage logged. */
export function measuredPeaks(rows: readonly MetricsRow[]): Partial<Record<Stage, number>> {
  const out: Partial<Record<Stage, number>> = {};
  for (const r of rows) {
    const b = r.device_bytes;
    if ((r.stage === 'sft' || r.stage === 'grpo') && typeof b === 'number')
      out[r.stage] = Math.max(out[r.stage] ?? 0, b);
  }
  return out;
}

export interface MeasuredMemoryProps {
  rows: readonly MetricsRow[];
  planned?: Partial<Record<Stage, number>>; // the plan's step peak per stage, when known
}

export const MeasuredMemory = memo(function MeasuredMemory({ rows, planned = {} }: MeasuredMemoryProps) {
  const peaks = measuredPeaks(rows);
  const stages = (Object.keys(NAMES) as Stage[]).filter((s) => peaks[s] !== undefined);
  if (!stages.length) return null;
  const part = (s: Stage) =>
    `${NAMES[s]} ${binaryBytes(peaks[s]!)}${planned[s] === undefined ? '' : ` (plan ${binaryBytes(planned[s])})`}`;
  return (
    <p className="muted" data-testid="measured-memory">
      Device memory measured: {stages.map(part).join(', ')} — the most a step held (WebGPU's buffers with its pool, or
      WASM's heap).
    </p>
  );
});

// A model's memory plan (engine/memory.ts) against this adapter's buffer limits: parameters, weights as
// stored, as float32 and as held on the GPU, the KV cache for the planned context, activations, the largest
// single tensor, and what does not fit. Presentational; its table serves the training plan too (TrainMemoryPlan).
import { memo } from 'react';
import { binaryBytes, type MemoryLimits, type MemoryPlan as Plan } from '../../../engine/memory';

export interface MemoryPlanProps {
  plan: Plan;
  limits: MemoryLimits | null; // null: no WebGPU adapter here
}

const count = (n: number) => n.toLocaleString('en-US');

export const MemoryPlan = memo(function MemoryPlan({ plan, limits }: MemoryPlanProps) {
  const rows: [string, string][] = [
    ['parameters', count(plan.params)],
    [
      'weights',
      `${binaryBytes(plan.storedBytes)} as stored (${plan.storedDtype}), ${binaryBytes(plan.f32Bytes)} as float32, ` +
        `${binaryBytes(plan.weightBytes)} on the GPU${plan.weightBytes < plan.f32Bytes ? ' (matrices in f16)' : ''}`,
    ],
    [`KV cache (${count(plan.context)} tokens)`, binaryBytes(plan.kvCacheBytes)],
    ['activations (estimate)', binaryBytes(plan.activationBytes)],
    ['on the GPU in all', binaryBytes(plan.totalBytes)],
    ['largest tensor', `${plan.largest.what}: ${binaryBytes(plan.largest.bytes)}`],
    ['adapter limits', limitsText(limits)],
  ];
  if (plan.vocabParts > 1) rows.push(['vocabulary', `split into ${plan.vocabParts} row parts, one binding each`]);
  return <PlanTable rows={rows} problems={plan.problems} testId="memory-plan" />;
});

/** The adapter's buffer limits as a plan row says them. */
export const limitsText = (limits: MemoryLimits | null) =>
  limits
    ? `buffer ${binaryBytes(limits.maxBufferSize)}, binding ${binaryBytes(limits.maxStorageBufferBindingSize)}`
    : 'no WebGPU adapter here: not checked';

/** A plan's rows (what, how much) and what does not fit, as an alert. */
export function PlanTable({
  rows,
  problems,
  testId,
}: {
  rows: [string, string][];
  problems: string[];
  testId: string;
}) {
  return (
    <div className="memory-plan" data-testid={testId}>
      <table>
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {problems.length > 0 && (
        <ul className="notice error" role="alert">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

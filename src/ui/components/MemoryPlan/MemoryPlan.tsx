// A model's memory plan (engine/memory.ts) against this adapter's buffer limits: parameters, weights as
// stored and as float32, the KV cache for the planned context, activations, the largest single tensor,
// and what does not fit. Presentational.
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
      `${binaryBytes(plan.storedBytes)} as stored (${plan.storedDtype}), ${binaryBytes(plan.f32Bytes)} as float32`,
    ],
    [`KV cache (${count(plan.context)} tokens)`, binaryBytes(plan.kvCacheBytes)],
    ['activations (estimate)', binaryBytes(plan.activationBytes)],
    ['on the GPU in all', binaryBytes(plan.totalBytes)],
    ['largest tensor', `${plan.largest.what}: ${binaryBytes(plan.largest.bytes)}`],
    [
      'adapter limits',
      limits
        ? `buffer ${binaryBytes(limits.maxBufferSize)}, binding ${binaryBytes(limits.maxStorageBufferBindingSize)}`
        : 'no WebGPU adapter here: not checked',
    ],
  ];
  if (plan.vocabParts > 1) rows.push(['vocabulary', `split into ${plan.vocabParts} row parts, one binding each`]);
  return (
    <div className="memory-plan" data-testid="memory-plan">
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
      {plan.problems.length > 0 && (
        <ul className="notice error" role="alert">
          {plan.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
    </div>
  );
});

// The memory plan as loadModel's beforeWeights hook: config.json (fetched first) is mapped to the family and
// planned against the adapter's limits for the context asked for; a model that cannot fit is refused with
// the plan's numbers before a single weight byte is fetched. The plan is handed out either way, for the page.
import { validateConfig } from '../config';
import { type MemoryLimits, type MemoryPlan, type MemoryRequest, planMemory } from '../memory';
import type { LoadOptions } from './fetch_model';

/** Thrown when the plan says the model cannot fit; carries the plan. */
export class MemoryRefusal extends Error {
  constructor(readonly plan: MemoryPlan) {
    super(`the model does not fit (nothing of its weights was downloaded):\n${plan.problems.join('\n')}`);
  }
}

export function memoryGuard(
  limits: MemoryLimits,
  req: MemoryRequest,
  onPlan?: (plan: MemoryPlan) => void,
): NonNullable<LoadOptions['beforeWeights']> {
  return (config) => {
    const plan = planMemory(validateConfig(config), req, limits);
    onPlan?.(plan);
    if (plan.problems.length) throw new MemoryRefusal(plan);
  };
}

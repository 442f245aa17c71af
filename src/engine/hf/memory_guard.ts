// The memory plan as loadModel's beforeWeights hook: config.json (fetched first) is mapped to the family and
// planned against the adapter's limits for the context asked for (within the model's own: generation stops
// there); a model that cannot fit is refused with the plan's numbers before a single weight byte is fetched.
// The plan is handed out either way, for the page.
import { validateConfig } from '../config';
import { type MemoryLimits, type MemoryPlan, type MemoryRequest, planMemory } from '../memory';

/** Thrown when the plan says the model cannot fit; carries the plan. */
export class MemoryRefusal extends Error {
  constructor(readonly plan: MemoryPlan) {
    super(`the model does not fit (nothing of its weights was downloaded):\n${plan.problems.join('\n')}`);
  }
}

/** The request cut to a model's context: new tokens first (at least one prompt token), then the prompt. */
export function withinContext(req: MemoryRequest, context: number): MemoryRequest {
  const maxNewTokens = Math.min(req.maxNewTokens, context - 1);
  return { ...req, maxNewTokens, promptTokens: Math.min(req.promptTokens, context - maxNewTokens) };
}

export function memoryGuard(
  limits: MemoryLimits,
  req: MemoryRequest,
  onPlan?: (plan: MemoryPlan) => void,
): (config: Record<string, unknown>) => void {
  return (config) => {
    const cfg = validateConfig(config);
    const plan = planMemory(cfg, withinContext(req, cfg.max_position_embeddings), limits);
    onPlan?.(plan);
    if (plan.problems.length) throw new MemoryRefusal(plan);
  };
}

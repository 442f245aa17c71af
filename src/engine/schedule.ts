// Learning-rate schedule as a pure function of the step (nanoGPT's get_lr): linear warmup, then cosine
// decay to minLr or a constant. Resuming a run needs only the step. Leaves out restarts and step decay.

export interface LrSchedule {
  peakLr: number; // η_max
  warmupSteps: number; // W
  totalSteps: number; // S: the cosine reaches minLr here and stays there
  schedule: 'cosine' | 'constant';
  minLrRatio: number; // η_min = minLrRatio · η_max
}

/**
 * step is 0-based. Warmup: η = η_max·(step+1)/W for step < W (never 0, reaches η_max at step W−1).
 * Cosine: η = η_min + ½(η_max − η_min)(1 + cos(π·(step − W)/(S − W))) for W ≤ step ≤ S, η_min after.
 */
export function learningRateAt(step: number, cfg: LrSchedule): number {
  const { peakLr, warmupSteps: W, totalSteps: S } = cfg;
  if (step < W) return (peakLr * (step + 1)) / W;
  if (cfg.schedule === 'constant') return peakLr;
  const minLr = peakLr * cfg.minLrRatio;
  if (step >= S || S <= W) return minLr;
  const progress = (step - W) / (S - W);
  return minLr + 0.5 * (peakLr - minLr) * (1 + Math.cos(Math.PI * progress));
}

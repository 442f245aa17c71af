// Actions of the GRPO group view's demo: the groups of one GRPO step of a small fresh run in the worker
// (sample, score, advantages: what the view draws; no update), kept for the page with TRL's reward metrics
// (nothing is saved). From a shipped judge it runs on the world that judge was trained on; from
// another checkpoint or fresh weights, on the Train page's settings. The demos' weights (shared with the
// step-through's demo) survive a reload.
import { rewardMetrics } from '../rm/grpo_metrics';
import { groupedRewards } from '../train/grpo_types';
import { applyOverrides } from '../train/run_config';
import { getEngine } from '../worker/client';
import { builtinJudge, checkpointFiles, SHIPPED_DISTILLED, shippedInfo } from './builtin_judges';
import { guardCall } from './call_guard';
import { loadChoice, saveChoice } from './saved_choice';
import { useAppStore, type AppState } from './store';

const set = useAppStore.setState;
const get = useAppStore.getState;
const CHOICE = 'groups-demo-weights';

/** A small step: 2 pairs of any category, each in both A/B orders, × G = 6 judgements. */
export const GROUPS_DEMO = {
  'world.nDistill': '0',
  'world.nGrpo': '32',
  'world.nEval': '1', // the least the setting takes; demos evaluate nothing
  'grpo.promptsPerStep': '4',
  'grpo.numGenerations': '6',
  'grpo.categories': '',
};

/** The weights the demo starts from: the chosen ones while they exist, else the shipped distilled judge. */
export function demoWeightsOf(s: AppState): string {
  const w = s.demoWeights;
  return w === '' || builtinJudge(w) || s.checkpoints.some((c) => c.id === w) ? w : SHIPPED_DISTILLED;
}

/** Samples, scores and weighs one demo step with the chosen weights; each demo samples with the next seed. */
export function runGroupsDemo(): Promise<void> {
  if (get().demoInFlight) return Promise.resolve();
  return guardCall({ inFlight: 'demoInFlight', error: 'demoError' }, async () => {
    const s = get();
    const weights = demoWeightsOf(s);
    const base = builtinJudge(weights) ? (await shippedInfo()).run : s.draft;
    const config = applyOverrides(base, { ...GROUPS_DEMO, 'grpo.seed': String(s.demoRuns + 1) });
    const init = weights ? await checkpointFiles(weights) : undefined;
    if (init === null) throw new Error(`Checkpoint ${weights} is no longer in storage`);
    const groups = await getEngine().demoGrpoGroups({ config, init });
    const metrics = rewardMetrics(groupedRewards(groups.sample, groups.score), groups.advantages.scaleRewards);
    set((x) => ({ demoReport: { ...groups, metrics }, demoWeightsUsed: weights, demoRuns: x.demoRuns + 1 }));
  });
}

/** The first visit's demo: runs once, unless one ran or runs already. */
export function startGroupsDemoOnce(): void {
  const s = get();
  if (s.demoRuns === 0 && !s.demoInFlight && !s.demoError) void runGroupsDemo();
}

export function chooseDemoWeights(id: string): void {
  set({ demoWeights: id });
  saveChoice(CHOICE, id);
}

/** The weights chosen on an earlier visit. */
export function restoreDemoWeights(): void {
  const saved = loadChoice(CHOICE);
  if (saved !== null) set({ demoWeights: saved });
}

// The GRPO group view's demo: the groups of one GRPO step of a small fresh run (sampled, scored, advantages;
// nothing saved), and the weights the demos (this one and the step-through's) start from: by default the
// shipped distilled judge, so groups mix right and wrong verdicts. Plain data; the actions are in
// groups_demo_actions.ts.
import type { StateCreator } from 'zustand';
import type { RewardMetrics } from '../rm/grpo_metrics';
import type { GroupsOfStep } from '../worker/protocol';
import { SHIPPED_DISTILLED } from './builtin_judges';
import type { AppState } from './store';

export interface GroupsDemoSlice {
  demoWeights: string; // the checkpoint id the demos start from ('' = fresh weights)
  demoReport: (GroupsOfStep & { metrics: RewardMetrics }) | null; // the last demo step's groups
  demoWeightsUsed: string | null; // the checkpoint id it started from ('' = fresh weights)
  demoRuns: number; // demo steps run this visit (each samples with the next seed)
  demoInFlight: boolean; // a demo step is running in the worker
  demoError: string | null;
}

export const groupsDemoInitial: GroupsDemoSlice = {
  demoWeights: SHIPPED_DISTILLED,
  demoReport: null,
  demoWeightsUsed: null,
  demoRuns: 0,
  demoInFlight: false,
  demoError: null,
};

export const createGroupsDemoSlice: StateCreator<AppState, [], [], GroupsDemoSlice> = () => ({
  ...groupsDemoInitial,
});

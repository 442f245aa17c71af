// The Train page's run: the draft configuration (mirrored in the URL), the model and data it starts with, the
// active run's record, its metrics rows and GRPO step reports, and what the progress bar and ETA need.
import type { StateCreator } from 'zustand';
import type { GrpoStepReport } from '../train/grpo_types';
import type { RunRecord } from '../train/lab_store';
import type { MetricsRow } from '../train/pipeline';
import { RUN_DEFAULTS, type RunConfig } from '../train/run_config';
import type { DraftModel } from './draft_memory';
import type { AppState } from './store';
import type { Page } from './url';

/** A real model of the model cache picked to train: its cache id, and its name for messages once it is gone. */
export interface TrainModelChoice {
  id: string;
  name: string;
}

export interface ProgressSample {
  at: number;
  phase: string;
  done: number;
}

export interface RunSlice {
  page: Page;
  draft: RunConfig; // the settings the next run starts with
  linkError: string | null; // the URL's settings were refused
  grpoDataset: string | null; // GRPO on this dataset's pairs instead of the synthetic world's (null)
  initCheckpoint: string | null; // start from this checkpoint instead of fresh weights
  distillDataset: string | null; // distil on this dataset's traced pairs instead of the world's oracle traces
  trainModel: TrainModelChoice | null; // train this real model of the model cache (null: the built-in preset)
  trainModelInfo: (DraftModel & { id: string; key: string }) | null; // its config and the draft's lengths
  trainModelError: string | null; // why its config or lengths could not be read
  run: RunRecord | null; // the run on the Train page (live or loaded from storage)
  live: boolean; // the run is loaded in the worker
  metrics: MetricsRow[];
  reports: GrpoStepReport[]; // GRPO step reports of this session's live run (most recent last)
  storedSteps: number[]; // GRPO steps (1 = the first) whose report is in storage
  selectedStep: number | null; // the group view's GRPO step (null: the latest)
  samples: ProgressSample[]; // recent progress while running, for the ETA
  runsElsewhere: string[]; // open runs another tab owns (run_lock.ts): shown read-only here
  runError: string | null;
  controlInFlight: boolean; // a control call (start, step, stop) is in flight
}

export const runInitial: RunSlice = {
  page: 'train',
  draft: structuredClone(RUN_DEFAULTS),
  linkError: null,
  grpoDataset: null,
  initCheckpoint: null,
  distillDataset: null,
  trainModel: null,
  trainModelInfo: null,
  trainModelError: null,
  run: null,
  live: false,
  metrics: [],
  reports: [],
  storedSteps: [],
  selectedStep: null,
  samples: [],
  runsElsewhere: [],
  runError: null,
  controlInFlight: false,
};

export const createRunSlice: StateCreator<AppState, [], [], RunSlice> = () => ({
  ...runInitial,
  draft: structuredClone(RUN_DEFAULTS),
});

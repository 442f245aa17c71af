// The Train page's run: the draft configuration (mirrored in the URL), the active run's record, its
// metrics rows and GRPO step reports, and what the progress bar and ETA need.
import type { StateCreator } from 'zustand';
import type { GrpoStepReport } from '../train/grpo_step';
import type { RunRecord } from '../train/lab_store';
import type { MetricsRow } from '../train/pipeline';
import { RUN_DEFAULTS, type RunConfig } from '../train/run_config';
import type { AppState } from './store';
import type { Page } from './url';

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
  run: RunRecord | null; // the run on the Train page (live or loaded from storage)
  live: boolean; // the run is loaded in the worker
  metrics: MetricsRow[];
  reports: GrpoStepReport[]; // GRPO step reports of this session's live run (most recent last)
  storedSteps: number[]; // steps whose report is in storage (a loaded run's)
  selectedStep: number | null; // the group view's step (null: the latest)
  samples: ProgressSample[]; // recent progress while running, for the ETA
  runError: string | null;
  busy: boolean; // a control call is in flight
}

export const runInitial: RunSlice = {
  page: 'train',
  draft: structuredClone(RUN_DEFAULTS),
  linkError: null,
  grpoDataset: null,
  initCheckpoint: null,
  run: null,
  live: false,
  metrics: [],
  reports: [],
  storedSteps: [],
  selectedStep: null,
  samples: [],
  runError: null,
  busy: false,
};

export const createRunSlice: StateCreator<AppState, [], [], RunSlice> = () => ({
  ...runInitial,
  draft: structuredClone(RUN_DEFAULTS),
});

// What storage holds, as lists: runs, checkpoints, datasets, the space used, and runs picked to compare.
import type { StateCreator } from 'zustand';
import type { CheckpointMeta, DatasetMeta, RunRecord, StorageUsage } from '../train/lab_store';
import type { MetricsRow } from '../train/pipeline';
import type { AppState } from './store';

export interface LibrarySlice {
  runs: RunRecord[];
  checkpoints: CheckpointMeta[];
  datasets: DatasetMeta[];
  usage: StorageUsage | null;
  libraryError: string | null; // the last storage failure (a full quota says what to delete)
  compare: string[]; // run ids drawn together on the Runs page
  compareMetrics: Record<string, MetricsRow[]>;
}

export const libraryInitial: LibrarySlice = {
  runs: [],
  checkpoints: [],
  datasets: [],
  usage: null,
  libraryError: null,
  compare: [],
  compareMetrics: {},
};

export const createLibrarySlice: StateCreator<AppState, [], [], LibrarySlice> = () => ({ ...libraryInitial });

// The app store: zustand slices joined in one bound store. Slices hold state only; actions live in
// `*_actions.ts` files outside the store, so the worker's event handler (not React) can call them.
// Each test builds a fresh store with `createAppStore()` or resets with `resetStore()`.
import { create } from 'zustand';
import { createDataSlice, type DataSlice } from './data_slice';
import { createEngineSlice, type EngineSlice } from './engine_slice';
import { createGroupsDemoSlice, type GroupsDemoSlice } from './groups_demo_slice';
import { createJudgeSlice, type JudgeSlice } from './judge_slice';
import { createLibrarySlice, type LibrarySlice } from './library_slice';
import { createModelsSlice, type ModelsSlice } from './models_slice';
import { createRunSlice, type RunSlice } from './run_slice';
import { createStepThroughSlice, type StepThroughSlice } from './step_through_slice';

export type AppState = EngineSlice &
  RunSlice &
  StepThroughSlice &
  LibrarySlice &
  JudgeSlice &
  DataSlice &
  GroupsDemoSlice &
  ModelsSlice;

export const createAppStore = () =>
  create<AppState>()((...a) => ({
    ...createEngineSlice(...a),
    ...createRunSlice(...a),
    ...createStepThroughSlice(...a),
    ...createLibrarySlice(...a),
    ...createJudgeSlice(...a),
    ...createDataSlice(...a),
    ...createGroupsDemoSlice(...a),
    ...createModelsSlice(...a),
  }));

export const useAppStore = createAppStore();

/** Back to the initial state (tests). */
export const resetStore = () => useAppStore.setState(createAppStore().getState(), true);

// The GRPO step-through: which step is open, the outputs of the stages run so far, and the one shown.
import type { StateCreator } from 'zustand';
import type { StageOutput } from '../train/grpo_types';
import type { StepThroughInfo } from '../worker/protocol';
import type { AppState } from './store';

export interface StepThroughSlice {
  stInfo: StepThroughInfo | null;
  stOutputs: StageOutput[]; // in order; Back only moves the cursor, the work is never undone
  stCursor: number; // index of the stage shown (−1: none yet)
  stInFlight: boolean; // a step-through call to the worker is in flight
  stError: string | null;
}

export const stepThroughInitial: StepThroughSlice = {
  stInfo: null,
  stOutputs: [],
  stCursor: -1,
  stInFlight: false,
  stError: null,
};

export const createStepThroughSlice: StateCreator<AppState, [], [], StepThroughSlice> = () => ({
  ...stepThroughInitial,
});

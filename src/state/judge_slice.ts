// The Judge page's state. Filled in with the Judge page.
import type { StateCreator } from 'zustand';
import type { AppState } from './store';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface JudgeSlice {}

export const judgeInitial: JudgeSlice = {};

export const createJudgeSlice: StateCreator<AppState, [], [], JudgeSlice> = () => ({ ...judgeInitial });

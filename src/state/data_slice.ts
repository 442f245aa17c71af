// The Data page's state. Filled in with the Data page.
import type { StateCreator } from 'zustand';
import type { AppState } from './store';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DataSlice {}

export const dataInitial: DataSlice = {};

export const createDataSlice: StateCreator<AppState, [], [], DataSlice> = () => ({ ...dataInitial });

// The page's LabStore: IndexedDB when the browser allows it, else memory with a plain warning that
// nothing will survive a reload (private windows, blocked storage).
import { createMemoryStore, type LabStore } from '../train/lab_store';
import { openLabStore } from './lab_store_idb';

let lab: Promise<{ store: LabStore; warning: string | null }> | null = null;

export function getLab(): Promise<{ store: LabStore; warning: string | null }> {
  lab ??= openLabStore().then(
    (store) => ({ store, warning: null }),
    (e: Error) => ({
      store: createMemoryStore(),
      warning: `IndexedDB is not available (${e.message}): runs, checkpoints and labels will not survive a reload.`,
    }),
  );
  return lab;
}

export const labStore = async (): Promise<LabStore> => (await getLab()).store;

// The Data page's state: the dataset being browsed (its pairs, the filter, the open pair), a file import
// waiting for the user's keep/reject decision, and the synthetic generator's form. The dataset list itself
// is the library slice's. Leaves out the actions (data_actions.ts) and anything derived (filtered rows).
import type { StateCreator } from 'zustand';
import type { Pair } from '../rm/pair';
import { defaultGenForm, type GenForm } from './generator_form';
import type { ImportFailure, ImportReport } from './import_report';
import { ANY_FILTER, type PairFilter } from './pair_filter';
import type { AppState } from './store';

/** A file on its way in: reading → report (the user decides) → saving → gone (kept or rejected). */
export interface ImportDraft {
  phase: 'reading' | 'report' | 'saving';
  fileName: string;
  bytes: number;
  name: string; // the dataset name to save under; the user may edit it
  report: ImportReport | null; // null while reading
  pairs: Pair[]; // the valid pairs; held here until kept, and kept here when saving fails
  saveError: string | null; // the last save failed (e.g. a full quota): the pairs above are still here
}

export interface DataSlice {
  dataSelectedId: string | null; // the dataset browsed
  dataPairs: Pair[]; // its pairs
  dataLoadedAt: number | null; // updatedAt of the copy loaded (a newer one in the list is reloaded)
  dataLoading: boolean;
  dataLoadError: string | null;
  dataFilter: PairFilter;
  dataOpenPairId: string | null; // the pair shown in detail
  dataImport: ImportDraft | null;
  dataImportFailure: ImportFailure | null; // the last file refused as a whole
  dataGenForm: GenForm; // the generator's inputs as typed
  dataGenBusy: boolean;
  dataGenError: string | null; // the world could not draw the pairs, or saving failed
  dataSaved: string | null; // the last dataset saved, in words
}

export const dataInitial: DataSlice = {
  dataSelectedId: null,
  dataPairs: [],
  dataLoadedAt: null,
  dataLoading: false,
  dataLoadError: null,
  dataFilter: ANY_FILTER,
  dataOpenPairId: null,
  dataImport: null,
  dataImportFailure: null,
  dataGenForm: defaultGenForm(),
  dataGenBusy: false,
  dataGenError: null,
  dataSaved: null,
};

export const createDataSlice: StateCreator<AppState, [], [], DataSlice> = () => ({
  ...dataInitial,
  dataGenForm: defaultGenForm(),
});

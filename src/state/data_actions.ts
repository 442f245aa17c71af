// Actions of the Data page: browse a dataset (load its pairs, filter, open one), import a file (read →
// per-line report → the user keeps the valid pairs or rejects the file), generate synthetic pairs from
// the world's knobs, export as JSONL, delete. Every save goes through one path: a failed write (a full
// quota) is reported and the pairs waiting to be saved stay where they were, so nothing is lost.
// Leaves out parsing (rm/importers), drawing pairs (rm/world) and the dataset list (library slice).
import { importDataset } from '../rm/importers';
import { toJsonl, type Pair } from '../rm/pair';
import { generatePairs } from '../rm/world';
import type { DatasetMeta } from '../train/lab_store';
import type { ImportDraft } from './data_slice';
import { checkGenForm, genDatasetName } from './generator_form';
import { datasetNameFromFile, importFailure, toImportReport } from './import_report';
import { labStore } from './lab';
import { deleteDataset, refreshLibrary, reportStorageError } from './library_actions';
import { ANY_FILTER, type PairFilter } from './pair_filter';
import { useAppStore } from './store';

const set = useAppStore.setState;
const get = useAppStore.getState;
const fmt = (x: number) => x.toLocaleString('en-US');

/** Lets the browser paint (e.g. "reading…") before synchronous work holds the main thread. */
const yieldToPaint = () =>
  new Promise<void>((done) => {
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => setTimeout(done, 0));
    else setTimeout(done, 0);
  });

// ---- browsing ----

let loadToken = 0; // a newer selection wins over a slower, older load

async function loadPairs(id: string, keepView: boolean): Promise<void> {
  const token = ++loadToken;
  set({
    dataLoading: true,
    dataLoadError: null,
    ...(keepView ? {} : { dataPairs: [], dataFilter: ANY_FILTER, dataOpenPairId: null }),
  });
  try {
    const pairs = await (await labStore()).datasetPairs(id);
    if (token !== loadToken) return;
    if (!pairs)
      return set({
        dataSelectedId: null,
        dataPairs: [],
        dataLoading: false,
        dataLoadError: `Dataset ${id} is no longer in storage`,
      });
    set({
      dataPairs: pairs,
      dataLoadedAt: get().datasets.find((d) => d.id === id)?.updatedAt ?? Date.now(),
      dataLoading: false,
    });
  } catch (e) {
    if (token === loadToken)
      set({ dataLoading: false, dataLoadError: `Could not read dataset ${id}: ${(e as Error).message}` });
  }
}

/** Browses a dataset (null: none); the filter and the open pair start fresh. */
export function selectDataset(id: string | null): Promise<void> {
  set({ dataSelectedId: id, dataLoadedAt: null });
  if (id === null) {
    loadToken++;
    set({ dataPairs: [], dataLoading: false, dataFilter: ANY_FILTER, dataOpenPairId: null });
    return Promise.resolve();
  }
  return loadPairs(id, false);
}

/**
 * Call when the library's list changes: a browsed dataset deleted elsewhere is let go, and one saved
 * again elsewhere (the Judge page adding to "my-labels") is reloaded with the filter kept.
 */
export function syncWithLibrary(): Promise<void> {
  const s = get();
  if (s.dataSelectedId === null) return Promise.resolve();
  const meta = s.datasets.find((d) => d.id === s.dataSelectedId);
  if (!meta) return selectDataset(null);
  if (s.dataLoadedAt !== null && meta.updatedAt > s.dataLoadedAt) return loadPairs(meta.id, true);
  return Promise.resolve();
}

export const setFilter = (patch: Partial<PairFilter>) => set((s) => ({ dataFilter: { ...s.dataFilter, ...patch } }));
export const clearFilter = () => set({ dataFilter: ANY_FILTER });
export const openPair = (id: string | null) => set({ dataOpenPairId: id });

// ---- saving (imports and the generator) ----

const newDatasetId = (source: DatasetMeta['source']) =>
  `${source}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/** Stores the pairs as a new dataset and browses it; on failure reports it and returns the message. */
async function saveDataset(
  what: Pick<DatasetMeta, 'name' | 'source' | 'format'>,
  pairs: Pair[],
): Promise<string | null> {
  const now = Date.now();
  const meta: DatasetMeta = {
    id: newDatasetId(what.source),
    ...what,
    createdAt: now,
    updatedAt: now,
    count: pairs.length,
  };
  try {
    await (await labStore()).putDataset(meta, pairs);
  } catch (e) {
    reportStorageError(e);
    return get().libraryError ?? String(e);
  }
  set({ libraryError: null, dataSaved: `Saved "${meta.name}": ${fmt(pairs.length)} pairs.` });
  await refreshLibrary();
  // Browse the copy in hand: reading 20,000 pairs back from IndexedDB would hold the page for no news.
  loadToken++;
  set({
    dataSelectedId: meta.id,
    dataPairs: pairs,
    dataLoadedAt: meta.updatedAt,
    dataLoading: false,
    dataLoadError: null,
    dataFilter: ANY_FILTER,
    dataOpenPairId: null,
  });
  return null;
}

// ---- import ----

/** What the page hands over from a file input; a File fits, and so does a test's stand-in. */
export interface PickedFile {
  name: string;
  size: number;
  text(): Promise<string>;
}

let importToken = 0; // a second file picked while the first is read replaces it

/** Reads and checks a file; the valid pairs and the per-line report wait for keepImport or rejectImport. */
export async function importFile(file: PickedFile): Promise<void> {
  if (get().dataImport?.phase === 'saving') return;
  const token = ++importToken;
  const draft: ImportDraft = {
    phase: 'reading',
    fileName: file.name,
    bytes: file.size,
    name: datasetNameFromFile(file.name),
    report: null,
    pairs: [],
    saveError: null,
  };
  set({ dataImport: draft, dataImportFailure: null, dataSaved: null });
  try {
    const text = await file.text();
    await yieldToPaint();
    if (token !== importToken) return;
    const result = importDataset(text, file.name, { onError: 'skip' });
    if (token !== importToken) return;
    set({
      dataImport: {
        ...draft,
        phase: 'report',
        report: toImportReport(result, file.name, file.size),
        pairs: result.pairs,
      },
    });
  } catch (e) {
    if (token === importToken) set({ dataImport: null, dataImportFailure: importFailure(file.name, e) });
  }
}

export const setImportName = (name: string) =>
  set((s) => (s.dataImport ? { dataImport: { ...s.dataImport, name } } : {}));

/** Saves the valid pairs under the chosen name; when saving fails the report and pairs stay for a retry. */
export async function keepImport(): Promise<void> {
  const d = get().dataImport;
  if (d?.phase !== 'report' || !d.report || d.pairs.length === 0) return;
  set({ dataImport: { ...d, phase: 'saving', saveError: null } });
  const failed = await saveDataset(
    { name: d.name.trim() || datasetNameFromFile(d.fileName), source: 'import', format: d.report.format },
    d.pairs,
  );
  set({ dataImport: failed === null ? null : { ...d, phase: 'report', saveError: failed } });
}

/** Drops the file: nothing is saved. */
export function rejectImport(): void {
  if (get().dataImport?.phase === 'saving') return;
  importToken++;
  set({ dataImport: null });
}

export const dismissImportFailure = () => set({ dataImportFailure: null });

// ---- the generator ----

export const setGenField = (key: string, value: string) =>
  set((s) => ({ dataGenForm: { ...s.dataGenForm, [key]: value } }));

/** Draws the pairs the form asks for and saves them; a bad form does nothing (the form shows why). */
export async function generateDataset(): Promise<void> {
  const s = get();
  const check = checkGenForm(s.dataGenForm);
  if (!check.ok || s.dataGenBusy) return;
  set({ dataGenBusy: true, dataGenError: null, dataSaved: null });
  try {
    await yieldToPaint();
    let pairs: Pair[];
    try {
      pairs = generatePairs(check.options);
    } catch (e) {
      return set({ dataGenError: `Not generated: ${(e as Error).message}` });
    }
    const failed = await saveDataset(
      { name: genDatasetName(s.dataGenForm, check.options), source: 'synthetic', format: null },
      pairs,
    );
    if (failed !== null) set({ dataGenError: `Not saved: ${failed}` });
  } finally {
    set({ dataGenBusy: false });
  }
}

// ---- export and delete ----

/** A file name from a dataset name: letters, digits, dot, dash and underscore survive. */
export const fileSafe = (name: string) => name.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '') || 'dataset';

/** Hands the dataset to the browser as `<name>.jsonl`, one Pair per line (importDataset reads it back). */
export async function exportDataset(id: string): Promise<void> {
  const s = get();
  const pairs = s.dataSelectedId === id && !s.dataLoading ? s.dataPairs : await (await labStore()).datasetPairs(id);
  if (!pairs) return set({ libraryError: `Dataset ${id} is no longer in storage` });
  const name = s.datasets.find((d) => d.id === id)?.name ?? id;
  const url = URL.createObjectURL(new Blob([toJsonl(pairs)], { type: 'application/x-ndjson' }));
  const a = Object.assign(document.createElement('a'), { href: url, download: `${fileSafe(name)}.jsonl` });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000); // the download has started by then
}

/** Deletes a dataset (the page asks first); a browsed one is let go. */
export async function removeDataset(id: string): Promise<void> {
  await deleteDataset(id);
  await syncWithLibrary();
}

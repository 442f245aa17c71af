// The Data page: the stored datasets (browse, export, delete), a virtualised browser of one dataset's
// pairs with filters and a detail view, importing a file with its per-line report, and the synthetic
// world's generator. Reads the store through module-level selectors; all work is in data_actions.ts.
import { useDeferredValue, useEffect, useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import {
  clearFilter,
  dismissImportFailure,
  exportDataset,
  generateDataset,
  importFile,
  keepImport,
  openPair,
  rejectImport,
  removeDataset,
  selectDataset,
  setFilter,
  setGenField,
  setImportName,
  syncWithLibrary,
} from '../../state/data_actions';
import { checkGenForm, genDatasetName, previewCounts } from '../../state/generator_form';
import { refreshLibrary } from '../../state/library_actions';
import { facetsOf, filterPairs } from '../../state/pair_filter';
import { useAppStore, type AppState } from '../../state/store';
import { DatasetList } from '../components/DatasetList/DatasetList';
import { GeneratorForm } from '../components/GeneratorForm/GeneratorForm';
import { ImportPanel } from '../components/ImportPanel/ImportPanel';
import { PairDetail } from '../components/PairDetail/PairDetail';
import { PairFilters } from '../components/PairFilters/PairFilters';
import { PairTable } from '../components/PairTable/PairTable';
import './data.css';

const selectDatasets = (s: AppState) => s.datasets;
const selectSaved = (s: AppState) => s.dataSaved;
const selectBrowser = (s: AppState) => ({
  selectedId: s.dataSelectedId,
  pairs: s.dataPairs,
  loading: s.dataLoading,
  loadError: s.dataLoadError,
  filter: s.dataFilter,
  openId: s.dataOpenPairId,
});
const selectImport = (s: AppState) => ({ draft: s.dataImport, failure: s.dataImportFailure });
const selectGenerator = (s: AppState) => ({ form: s.dataGenForm, busy: s.dataGenBusy, error: s.dataGenError });

const browse = (id: string) => void selectDataset(id);
const exportOne = (id: string) => void exportDataset(id);
const deleteOne = (id: string) => void removeDataset(id);
const closePair = () => openPair(null);
const onFile = (f: File) => void importFile(f);
const onKeep = () => void keepImport();
const onGenerate = () => void generateDataset();

export function DataPage() {
  const datasets = useAppStore(selectDatasets);
  const saved = useAppStore(selectSaved);
  const { selectedId, pairs, loading, loadError, filter, openId } = useAppStore(useShallow(selectBrowser));
  const { draft, failure } = useAppStore(useShallow(selectImport));
  const gen = useAppStore(useShallow(selectGenerator));

  useEffect(() => {
    void refreshLibrary();
  }, []); // labels saved on the Judge page since boot
  useEffect(() => {
    void syncWithLibrary();
  }, []);

  // Typing stays responsive on 20,000 pairs: the table follows the filter a frame behind the inputs.
  const deferredFilter = useDeferredValue(filter);
  const shown = useMemo(() => filterPairs(pairs, deferredFilter), [pairs, deferredFilter]);
  const facets = useMemo(() => facetsOf(pairs), [pairs]);
  const open = useMemo(() => (openId === null ? null : (pairs.find((p) => p.id === openId) ?? null)), [pairs, openId]);
  const check = useMemo(() => checkGenForm(gen.form), [gen.form]);
  const preview = useMemo(() => (check.ok ? previewCounts(check.options) : null), [check]);
  const selected = datasets.find((d) => d.id === selectedId) ?? null;

  return (
    <div className="data-page">
      <section className="panel">
        <h2>Datasets</h2>
        {saved && (
          <p className="saved" role="status" data-testid="data-saved">
            {saved}
          </p>
        )}
        <DatasetList
          datasets={datasets}
          selectedId={selectedId}
          onSelect={browse}
          onExport={exportOne}
          onDelete={deleteOne}
        />
        {loadError && (
          <p className="error" role="alert">
            {loadError}
          </p>
        )}
      </section>

      {selected && (
        <section className="panel" aria-label="pair browser">
          <h2>Browse: {selected.name}</h2>
          <PairFilters
            filter={filter}
            facets={facets}
            shown={shown.length}
            total={pairs.length}
            onChange={setFilter}
            onClear={clearFilter}
          />
          {loading ? (
            <p role="status">Reading {selected.count.toLocaleString('en-US')} pairs…</p>
          ) : (
            <PairTable pairs={shown} openId={openId} onOpen={openPair} />
          )}
        </section>
      )}
      {open && <PairDetail pair={open} onClose={closePair} />}

      <div className="data-columns">
        <section className="panel">
          <h2>Import a file</h2>
          <ImportPanel
            draft={draft}
            failure={failure}
            onFile={onFile}
            onName={setImportName}
            onKeep={onKeep}
            onReject={rejectImport}
            onDismissFailure={dismissImportFailure}
          />
        </section>
        <section className="panel">
          <h2>Generate synthetic pairs</h2>
          <GeneratorForm
            form={gen.form}
            errors={check.errors}
            preview={preview}
            defaultName={check.ok ? genDatasetName({}, check.options) : null}
            busy={gen.busy}
            error={gen.error}
            onField={setGenField}
            onGenerate={onGenerate}
          />
        </section>
      </div>
    </div>
  );
}

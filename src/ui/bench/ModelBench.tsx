// The bench page's real-model section: the bench store's model slice drawn by ModelBenchPanel. Lists the lab's
// cached models when it first shows.
import { useEffect, useMemo } from 'react';
import { modelSuiteMarkdown, modelSuiteTables } from '../../bench/tables';
import {
  type BenchState,
  chooseBenchModel,
  refreshBenchModels,
  setModelBenchOptions,
  startModelBench,
  useBenchStore,
} from '../../state/bench_store';
import { ModelBenchPanel } from './ModelBenchPanel';
import { useCopy } from './useCopy';

const selectModel = (s: BenchState) => s.model;
const selectOtherJob = (s: BenchState) => s.running || s.kernels.running;

export function ModelBench() {
  const m = useBenchStore(selectModel);
  const otherJob = useBenchStore(selectOtherJob);
  const tables = useMemo(() => (m.result ? modelSuiteTables(m.result) : []), [m.result]);
  const [copied, copyText] = useCopy();
  useEffect(() => void refreshBenchModels(), []);

  const copy = async () => {
    if (m.result) await copyText(modelSuiteMarkdown(m.result));
  };

  return (
    <ModelBenchPanel
      models={m.models}
      id={m.id}
      options={m.options}
      running={m.running}
      busy={otherJob}
      progress={m.progress}
      error={m.error}
      environments={m.result?.environments ?? []}
      tables={tables}
      onChoose={chooseBenchModel}
      onChange={setModelBenchOptions}
      onRun={() => void startModelBench()}
      onCopy={() => void copy()}
      copied={copied}
    />
  );
}

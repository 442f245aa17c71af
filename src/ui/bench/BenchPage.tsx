// The bench page (bench.html): the engine benchmark of `npm run bench` in this browser, on its GPU. Pick
// backends, presets and measurements, run, watch progress, read the tables, copy them as Markdown; below, a real
// model of the lab's cache measured the same way, and the kernel check.
import { useMemo } from 'react';
import { resultMarkdown, resultTables } from '../../bench/tables';
import { setBenchOptions, startBench, startKernelCheck, useBenchStore, type BenchState } from '../../state/bench_store';
import { BenchForm } from './BenchForm';
import { KernelCheckPanel } from './KernelCheckPanel';
import { ModelBench } from './ModelBench';
import { ResultTables } from './ResultTables';
import { useCopy } from './useCopy';

const selectOptions = (s: BenchState) => s.options;
const selectRunning = (s: BenchState) => s.running;
const selectProgress = (s: BenchState) => s.progress;
const selectResult = (s: BenchState) => s.result;
const selectError = (s: BenchState) => s.error;
const selectKernels = (s: BenchState) => s.kernels;

export function BenchPage() {
  const options = useBenchStore(selectOptions);
  const running = useBenchStore(selectRunning);
  const progress = useBenchStore(selectProgress);
  const result = useBenchStore(selectResult);
  const error = useBenchStore(selectError);
  const kernels = useBenchStore(selectKernels);
  const tables = useMemo(() => (result ? resultTables(result) : []), [result]);
  const [copied, copyText] = useCopy();
  const copy = async () => {
    if (result) await copyText(resultMarkdown(result));
  };

  return (
    <div className="app">
      <header className="top">
        <h1>Rubric Lab · engine benchmark</h1>
        <a className="tab" href="./">
          back to the lab
        </a>
      </header>
      <p className="muted">
        The same suite as <code>npm run bench</code>, in this browser: training and generation throughput, GPU
        dispatches and readbacks per step, stock tfjs ops against our fused WebGPU kernels (or, without the comparison,
        the kernels the lab would pick: fused where the kernel check below passes). Absolute times mean something only
        on a real GPU.
      </p>
      <BenchForm
        options={options}
        running={running || kernels.running}
        onChange={setBenchOptions}
        onRun={() => void startBench()}
      />
      {progress && running && (
        <p data-testid="bench-progress">
          <progress max={progress.total} value={progress.done} /> {progress.done}/{progress.total} · {progress.label}
        </p>
      )}
      {error && (
        <p className="notice error" role="alert">
          {error}
        </p>
      )}
      {result && (
        <>
          <section className="panel" data-testid="bench-environment">
            <ul>
              {result.environments.map((e) => (
                <li key={e}>{e}</li>
              ))}
              {result.kernels.map((k) => (
                <li key={k} data-testid="bench-kernels">
                  kernels on {k}
                </li>
              ))}
              {result.skipped.map((s) => (
                <li key={s} className="skipped">
                  skipped {s}
                </li>
              ))}
            </ul>
            <button type="button" onClick={() => void copy()}>
              Copy as Markdown
            </button>{' '}
            <span className="muted">{copied}</span>
          </section>
          <ResultTables tables={tables} />
        </>
      )}
      <ModelBench />
      <KernelCheckPanel state={kernels} busy={running} onRun={() => void startKernelCheck()} />
    </div>
  );
}

// A real model's benchmark on this browser's GPU: a model of the lab's cache, its decode with half-precision
// weights beside float32 (or, opened below, its training steps), the options drawn and checked by the model
// suite's options table (bench/model_suite.ts), progress, the tables and what other runtimes published for the
// same model. Props only.
import { memo, type ReactNode } from 'react';
import { MODEL_SUITE_SETTINGS, type ModelSuiteOptions } from '../../bench/model_suite';
import type { SuiteProgress } from '../../bench/suite';
import type { Table } from '../../bench/tables';
import { parseSetting, type Rule } from '../../train/settings';
import type { CachedModel } from '../../worker/models_protocol';
import { SettingInput } from '../components/SettingInput/SettingInput';
import { ResultTables } from './ResultTables';

export interface ModelBenchPanelProps {
  models: CachedModel[] | null;
  id: string;
  options: ModelSuiteOptions;
  running: boolean;
  busy: boolean; // another job holds the worker's device
  progress: SuiteProgress | null;
  error: string | null;
  environments: string[];
  tables: Table[];
  onChoose: (id: string) => void;
  onChange: (patch: Partial<ModelSuiteOptions>) => void;
  onRun: () => void;
  onCopy: () => void;
  copied: string;
}

type Key = keyof ModelSuiteOptions;

const weightLabel = (w: string) => `${w} weights`;

const modelLabel = (m: CachedModel) =>
  `${m.repo}${m.kind === 'hub' ? `@${m.revision.slice(0, 7)}` : ''} (${(m.totalBytes / 2 ** 20).toFixed(1)} MiB` +
  `${m.missing.length ? ', partly downloaded' : ''})`;

export const ModelBenchPanel = memo(function ModelBenchPanel(p: ModelBenchPanelProps) {
  const { options: o, running, busy } = p;
  const input = (key: Key, name: string, itemLabel?: (item: string) => string) => (
    <SettingInput
      id={`model-bench-${key}`}
      name={name}
      rule={MODEL_SUITE_SETTINGS[key]}
      value={o[key]}
      disabled={running || busy}
      itemLabel={itemLabel}
      onChange={(raw) => p.onChange({ [key]: parseSetting(name, MODEL_SUITE_SETTINGS[key] as Rule, raw) })}
    />
  );
  const labelled = (key: Key, text: string, control: ReactNode = input(key, text)) => (
    <label htmlFor={`model-bench-${key}`} title={MODEL_SUITE_SETTINGS[key].help}>
      {text} {control}
    </label>
  );
  return (
    <section className="panel" data-testid="model-bench">
      <h2>A real model</h2>
      <p className="muted">
        A model of the lab's cache on this GPU: load time, weight bytes, memory, prefill and decode tokens/s, the GB/s
        its weights are read at and dispatches per token, with the frozen matrices in half precision beside float32; or
        its training steps. Beside them, what WebLLM and transformers.js published for the same model.
      </p>
      {p.models === null ? (
        <p className="muted">Reading the lab's model cache…</p>
      ) : p.models.length === 0 ? (
        <p data-testid="model-bench-empty">
          No model in the cache yet: load one on the lab's <a href="./#/runs">Models page</a> (a Hub id, a URL or a
          folder), then come back.
        </p>
      ) : (
        <fieldset className="bench-form" disabled={running || busy}>
          <p>
            <label htmlFor="model-bench-id">
              model{' '}
              <select id="model-bench-id" value={p.id} onChange={(e) => p.onChoose(e.target.value)}>
                {(p.models ?? []).map((m) => (
                  <option key={m.id} value={m.id}>
                    {modelLabel(m)}
                  </option>
                ))}
              </select>
            </label>
          </p>
          <p>
            Weights: {input('weights', 'weights', weightLabel)} {labelled('promptTokens', 'prompt tokens')}{' '}
            {labelled('newTokens', 'new tokens')} {labelled('kernels', 'kernels')}
          </p>
          <details>
            <summary>Training steps instead of decoding</summary>
            <p>
              {labelled('train', 'training')} {labelled('batch', 'batch')} {labelled('seqLen', 'sequence length')}{' '}
              {labelled('trainSteps', 'timed steps')} {labelled('microBatch', 'micro-batch')}
            </p>
            <p>
              <label htmlFor="model-bench-grpo" title={MODEL_SUITE_SETTINGS.grpo.help}>
                {input('grpo', 'grpo')} a GRPO step (batch = G, new tokens each)
              </label>{' '}
              <label htmlFor="model-bench-recompute" title={MODEL_SUITE_SETTINGS.recompute.help}>
                {input('recompute', 'recompute')} recompute blocks
              </label>
            </p>
          </details>
          <button type="button" onClick={p.onRun} disabled={running || busy || !p.id}>
            {running ? 'Running…' : 'Run on this model'}
          </button>
        </fieldset>
      )}
      {p.progress && running && (
        <p data-testid="model-bench-progress">
          <progress max={p.progress.total} value={p.progress.done} /> {p.progress.label}
        </p>
      )}
      {p.error && (
        <p className="notice error" role="alert">
          {p.error}
        </p>
      )}
      {p.tables.length > 0 && (
        <>
          <ul data-testid="model-bench-environment">
            {p.environments.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
          <button type="button" onClick={p.onCopy}>
            Copy as Markdown
          </button>{' '}
          <span className="muted">{p.copied}</span>
          <ResultTables tables={p.tables} />
        </>
      )}
    </section>
  );
});

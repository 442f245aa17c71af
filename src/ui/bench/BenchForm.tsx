// The bench options: backends, presets, timed steps, and the optional measurements. Props only.
import { type ChangeEvent, memo } from 'react';
import type { SuiteOptions } from '../../bench/suite';
import type { BackendName } from '../../engine/backend';
import type { PresetName } from '../../engine/config';

export interface BenchFormProps {
  options: SuiteOptions;
  running: boolean;
  onChange: (patch: Partial<SuiteOptions>) => void;
  onRun: () => void;
}

const BACKENDS: BackendName[] = ['webgpu', 'wasm', 'webgl', 'cpu'];
const PRESETS: PresetName[] = ['nano', 'tiny', 'small'];
const toggle = <T,>(xs: T[], x: T, on: boolean) => (on ? [...xs.filter((y) => y !== x), x] : xs.filter((y) => y !== x));

export const BenchForm = memo(function BenchForm({ options: o, running, onChange, onRun }: BenchFormProps) {
  const flag = (key: 'compare' | 'firstStep' | 'decodeCost' | 'poolTrim') => (e: ChangeEvent<HTMLInputElement>) =>
    onChange({ [key]: e.target.checked });
  return (
    <fieldset className="panel bench-form" disabled={running}>
      <legend>Options</legend>
      <p>
        Backends:{' '}
        {BACKENDS.map((b) => (
          <label key={b}>
            <input
              type="checkbox"
              aria-label={`backend ${b}`}
              checked={o.backends.includes(b)}
              onChange={(e) => onChange({ backends: toggle(o.backends, b, e.target.checked) })}
            />{' '}
            {b}{' '}
          </label>
        ))}
      </p>
      <p>
        Presets:{' '}
        {PRESETS.map((p) => (
          <label key={p}>
            <input
              type="checkbox"
              aria-label={`preset ${p}`}
              checked={o.presets.includes(p)}
              onChange={(e) => onChange({ presets: toggle(o.presets, p, e.target.checked) })}
            />{' '}
            {p}{' '}
          </label>
        ))}
        <label>
          {' '}
          timed steps{' '}
          <input
            type="number"
            aria-label="timed steps"
            min={1}
            max={50}
            value={o.steps}
            onChange={(e) => onChange({ steps: Math.max(1, Number(e.target.value) || 1) })}
          />
        </label>
      </p>
      <p>
        <label title="Each WebGPU run twice: stock tfjs ops, then our fused kernels, with the ratios">
          <input type="checkbox" checked={o.compare} onChange={flag('compare')} /> stock vs fused
        </label>{' '}
        <label title="A fresh GPU device's first training step and first tokens, with and without shader precompile">
          <input type="checkbox" checked={o.firstStep} onChange={flag('firstStep')} /> time to first step
        </label>{' '}
        <label title="Dispatches and time per token early and late in the context">
          <input type="checkbox" checked={o.decodeCost} onChange={flag('decodeCost')} /> decode cost by position
        </label>{' '}
        <label title="WebGPU: ms per step with the buffer pool trimmed after every step, against untrimmed">
          <input type="checkbox" checked={o.poolTrim} onChange={flag('poolTrim')} /> buffer pool trim
        </label>{' '}
        <label title="Dispatches per queue submit to time, comma-separated (tfjs's default is 15); empty: skip">
          submit batch sizes{' '}
          <input
            aria-label="submit batch sizes"
            placeholder="e.g. 1,15,64"
            value={o.submitBatches.join(',')}
            onChange={(e) =>
              onChange({
                submitBatches: e.target.value
                  .split(',')
                  .map((s) => Number(s.trim()))
                  .filter((n) => n > 0),
              })
            }
          />
        </label>
      </p>
      <button type="button" onClick={onRun} disabled={running || !o.backends.length || !o.presets.length}>
        {running ? 'Running…' : 'Run benchmark'}
      </button>
    </fieldset>
  );
});

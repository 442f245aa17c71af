// The bench options: backends, presets, timed steps, kernels and the optional measurements, each drawn and
// checked by its rule in the suite's one options table (bench/suite.ts). Props only.
import { memo, type ReactNode } from 'react';
import { SUITE_SETTINGS, type SuiteOptions } from '../../bench/suite';
import { parseSetting, type Rule } from '../../train/settings';
import { SettingInput } from '../components/SettingInput/SettingInput';

export interface BenchFormProps {
  options: SuiteOptions;
  running: boolean;
  onChange: (patch: Partial<SuiteOptions>) => void;
  onRun: () => void;
}

type Key = keyof SuiteOptions;

export const BenchForm = memo(function BenchForm({ options: o, running, onChange, onRun }: BenchFormProps) {
  /** One option's input: the text it accepts becomes the option's value. */
  const input = (key: Key, name: string, more: { disabled?: boolean; itemLabel?: (item: string) => string } = {}) => (
    <SettingInput
      id={`bench-${key}`}
      name={name}
      rule={SUITE_SETTINGS[key]}
      value={o[key]}
      disabled={running || more.disabled === true}
      itemLabel={more.itemLabel}
      onChange={(raw) => onChange({ [key]: parseSetting(name, SUITE_SETTINGS[key] as Rule, raw) })}
    />
  );
  const labelled = (key: Key, text: ReactNode, control: ReactNode) => (
    <label htmlFor={`bench-${key}`} title={SUITE_SETTINGS[key].help}>
      {text} {control}
    </label>
  );
  const flag = (key: Key, text: string) => (
    <label htmlFor={`bench-${key}`} title={SUITE_SETTINGS[key].help}>
      {input(key, text)} {text}
    </label>
  );
  return (
    <fieldset className="panel bench-form" disabled={running}>
      <legend>Options</legend>
      <p>Backends: {input('backends', 'backends', { itemLabel: (b) => `backend ${b}` })}</p>
      <p>
        Presets: {input('presets', 'presets', { itemLabel: (p) => `preset ${p}` })}{' '}
        {labelled('steps', 'timed steps', input('steps', 'timed steps'))}
      </p>
      <p>
        {flag('compare', 'stock vs fused')}{' '}
        {labelled('kernels', 'kernels', input('kernels', 'kernels', { disabled: o.compare }))}{' '}
        {flag('firstStep', 'time to first step')} {flag('decodeCost', 'decode cost by position')}{' '}
        {flag('poolTrim', 'buffer pool trim')}{' '}
        {labelled('submitBatches', 'submit batch sizes', input('submitBatches', 'submit batch sizes'))}
      </p>
      <button type="button" onClick={onRun} disabled={running}>
        {running ? 'Running…' : 'Run benchmark'}
      </button>
    </fieldset>
  );
});

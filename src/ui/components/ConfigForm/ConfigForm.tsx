// Every run setting with its value, its default and a one-line explanation, grouped by section
// (run, world, sft, grpo, eval). Presentational: values in, `onChange(key, raw)` out; the run config's
// field table validates.
import { memo } from 'react';
import type { Field } from '../../../train/run_config';

export interface ConfigFormProps {
  fields: Field[];
  values: Record<string, unknown>; // current value by dotted key
  disabled: boolean;
  onChange: (key: string, raw: string) => void;
}

const SECTIONS: { prefix: string; title: string }[] = [
  { prefix: '', title: 'Run' },
  { prefix: 'world.', title: 'Synthetic world' },
  { prefix: 'sft.', title: 'Stage 1: reasoning distillation (SFT)' },
  { prefix: 'grpo.', title: 'Stage 2: GRPO' },
  { prefix: 'eval.', title: 'Held-out evaluation' },
];

const sectionOf = (key: string) => (key.includes('.') ? key.slice(0, key.indexOf('.') + 1) : '');

function Input({
  f,
  value,
  disabled,
  onChange,
}: {
  f: Field;
  value: unknown;
  disabled: boolean;
  onChange: ConfigFormProps['onChange'];
}) {
  const id = `cfg-${f.key}`;
  if (f.options) {
    return (
      <select id={id} value={String(value)} disabled={disabled} onChange={(e) => onChange(f.key, e.target.value)}>
        {f.options.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
    );
  }
  if (f.type === 'boolean')
    return (
      <input
        id={id}
        type="checkbox"
        checked={Boolean(value)}
        disabled={disabled}
        onChange={(e) => onChange(f.key, String(e.target.checked))}
      />
    );
  return (
    <input
      id={id}
      type="number"
      step="any"
      value={String(value)}
      disabled={disabled}
      onChange={(e) => onChange(f.key, e.target.value)}
    />
  );
}

export const ConfigForm = memo(function ConfigForm({ fields, values, disabled, onChange }: ConfigFormProps) {
  return (
    <div className="config-form" data-testid="config-form">
      {SECTIONS.map((s) => (
        <fieldset key={s.title}>
          <legend>{s.title}</legend>
          {fields
            .filter((f) => sectionOf(f.key) === s.prefix)
            .map((f) => {
              const changed = values[f.key] !== f.default;
              return (
                <div key={f.key} className={changed ? 'field changed' : 'field'}>
                  <label htmlFor={`cfg-${f.key}`}>{f.key.slice(s.prefix.length)}</label>
                  <Input f={f} value={values[f.key]} disabled={disabled} onChange={onChange} />
                  <span className="help">
                    {f.help} <span className="muted">(default {String(f.default)})</span>
                  </span>
                </div>
              );
            })}
        </fieldset>
      ))}
    </div>
  );
});

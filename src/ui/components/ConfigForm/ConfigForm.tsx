// Every run setting with its value, its default and a one-line explanation, grouped by section
// (run, world, sft, grpo, eval, lora), each drawn by its input kind from the run config's field table.
// Presentational: values in, `onChange(key, raw)` out, called only with text the field's rule accepts.
import { memo } from 'react';
import type { Field } from '../../../train/run_config';
import { SettingInput } from '../SettingInput/SettingInput';

export interface ConfigFormProps {
  fields: readonly Field[];
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
  { prefix: 'lora.', title: 'LoRA adapters (rank 0: full fine-tuning)' },
];

const sectionOf = (key: string) => (key.includes('.') ? key.slice(0, key.indexOf('.') + 1) : '');

export const ConfigForm = memo(function ConfigForm({ fields, values, disabled, onChange }: ConfigFormProps) {
  return (
    <div className="config-form" data-testid="config-form">
      {SECTIONS.map((s) => (
        <fieldset key={s.title}>
          <legend>{s.title}</legend>
          {fields
            .filter((f) => sectionOf(f.key) === s.prefix)
            .map((f) => (
              <div key={f.key} className={values[f.key] !== f.default ? 'field changed' : 'field'}>
                <label htmlFor={`cfg-${f.key}`}>{f.key.slice(s.prefix.length)}</label>
                <SettingInput
                  id={`cfg-${f.key}`}
                  name={f.key}
                  rule={f}
                  value={values[f.key]}
                  disabled={disabled}
                  onChange={(raw) => onChange(f.key, raw)}
                />
                <span className="help">
                  {f.help} <span className="muted">(default {f.format(f.default) || 'empty'})</span>
                </span>
              </div>
            ))}
        </fieldset>
      ))}
    </div>
  );
});

// The synthetic world's generator: one input per knob with its one-line meaning and, when the input is
// refused, why; a preview of how many pairs each section gets; and the button that draws and saves them.
// Presentational: the page passes the form, its check and the actions. Leaves out drawing the pairs.
import { memo } from 'react';
import { CATEGORIES, type Category } from '../../../rm/pair';
import { GEN_FIELDS, type GenForm } from '../../../state/generator_form';

export interface GeneratorFormProps {
  form: GenForm;
  errors: Record<string, string>;
  preview: Record<Category, number> | null; // null while the form is refused
  defaultName: string | null;
  busy: boolean;
  error: string | null;
  onField: (key: string, value: string) => void;
  onGenerate: () => void;
}

const n = (x: number) => x.toLocaleString('en-US');

export const GeneratorForm = memo(function GeneratorForm(p: GeneratorFormProps) {
  const total = p.preview ? CATEGORIES.reduce((s, c) => s + p.preview![c], 0) : 0;
  return (
    <form
      className="generator"
      onSubmit={(e) => {
        e.preventDefault();
        p.onGenerate();
      }}
      noValidate
    >
      <div className="gen-fields">
        {GEN_FIELDS.map((f) => {
          const err = p.errors[f.key];
          const id = `gen-${f.key.replace('.', '-')}`;
          return (
            <div key={f.key} className="gen-field">
              <label htmlFor={id}>{f.label}</label>
              <input
                id={id}
                inputMode={f.integer ? 'numeric' : 'decimal'}
                value={p.form[f.key] ?? ''}
                aria-invalid={err ? true : undefined}
                aria-describedby={`${id}-help`}
                onChange={(e) => p.onField(f.key, e.target.value)}
              />
              <small id={`${id}-help`} className={err ? 'error' : 'muted'} data-testid={err ? 'gen-error' : undefined}>
                {err ?? f.help}
              </small>
            </div>
          );
        })}
      </div>
      <label className="gen-name">
        dataset name{' '}
        <input
          aria-label="synthetic dataset name"
          value={p.form.name ?? ''}
          placeholder={p.defaultName ?? ''}
          onChange={(e) => p.onField('name', e.target.value)}
        />
      </label>
      <p data-testid="gen-preview" className={p.preview ? undefined : 'muted'}>
        {p.preview ? (
          <>
            Will draw {n(total)} pairs: {CATEGORIES.map((c) => `${c} ${n(p.preview![c])}`).join(' · ')}.
          </>
        ) : (
          'Fix the fields above to see what will be drawn.'
        )}
      </p>
      <button type="submit" disabled={!p.preview || p.busy} data-testid="generate">
        {p.busy ? 'Generating…' : 'Generate and save'}
      </button>
      {p.error && (
        <p className="error" role="alert" data-testid="gen-failure">
          {p.error}
        </p>
      )}
    </form>
  );
});

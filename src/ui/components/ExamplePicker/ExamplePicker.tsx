// "Try an example": held-out pairs of the shipped judge's world, grouped by category. The label is not shown
// here (the Judge page shows it once the pair is judged). Presentational.
import { memo } from 'react';
import type { Pair } from '../../../rm/pair';

export interface ExamplePickerProps {
  examples: Pair[];
  picked: number | null; // the example in the draft, if the draft is one
  onPick: (index: number) => void;
}

const short = (s: string, n = 70) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export const ExamplePicker = memo(function ExamplePicker({ examples, picked, onPick }: ExamplePickerProps) {
  const categories = [...new Set(examples.map((p) => p.category ?? ''))];
  return (
    <label className="example-picker">
      try an example{' '}
      <select
        aria-label="try an example"
        value={picked ?? ''}
        onChange={(e) => e.target.value !== '' && onPick(Number(e.target.value))}
      >
        <option value="">— a held-out pair of the built-in world —</option>
        {categories.map((c) => (
          <optgroup key={c} label={c}>
            {examples.map((p, i) =>
              (p.category ?? '') === c ? (
                <option key={p.id} value={i}>
                  {short(p.prompt)}
                </option>
              ) : null,
            )}
          </optgroup>
        ))}
      </select>
    </label>
  );
});

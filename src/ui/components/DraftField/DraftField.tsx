// One text box of the pair being judged. Not a React-controlled textarea: that one writes its whole text into
// the DOM again (as the default value) on every keystroke, a copy of up to megabytes per key on a long pasted
// pair. This one leaves typing to the browser and writes the text only when it changes from outside (a pick).
// Presentational.
import { memo, useLayoutEffect, useRef } from 'react';

export interface DraftFieldProps {
  label: string;
  rows: number;
  value: string;
  onChange: (value: string) => void;
}

export const DraftField = memo(function DraftField({ label, rows, value, onChange }: DraftFieldProps) {
  const box = useRef<HTMLTextAreaElement>(null);
  useLayoutEffect(() => {
    // typed text comes back as the very string read from the box: no write, and the caret stays
    if (box.current && box.current.value !== value) box.current.value = value;
  }, [value]);
  return (
    <label className="field">
      {label}
      <textarea
        ref={box}
        aria-label={label}
        rows={rows}
        onChange={(e) => onChange(e.target.value)}
        spellCheck={false}
      />
    </label>
  );
});

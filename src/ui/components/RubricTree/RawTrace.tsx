// The raw trace as generated, with each malformed span highlighted where it occurs (hover: the message)
// and zero-width errors (a missing block) drawn as a marker at their position. Shown as text, never as
// HTML: whatever the model or the user wrote cannot run. Presentational.
import { memo, useMemo, type ReactNode } from 'react';
import type { CorError } from '../../../rm/cor_parser';
import { markedSegments } from './tree_view';

export interface RawTraceProps {
  text: string;
  errors: CorError[];
}

const label = (errors: CorError[], idx: number[]) => idx.map((i) => `#${i + 1} ${errors[i].message}`).join('\n');

export const RawTrace = memo(function RawTrace({ text, errors }: RawTraceProps) {
  const { segments, points } = useMemo(() => markedSegments(text, errors), [text, errors]);
  const pointsAt = (at: number): ReactNode[] =>
    points
      .filter((p) => p.at === at)
      .map((p) => (
        <span key={`p${at}`} className="rt-point" title={label(errors, p.errors)} data-testid="tree-error-mark">
          ⚠
        </span>
      ));
  const out: ReactNode[] = [];
  for (const s of segments) {
    out.push(...pointsAt(s.start));
    out.push(
      s.errors.length === 0 ? (
        <span key={s.start}>{s.text}</span>
      ) : (
        <mark key={s.start} className="rt-mark" title={label(errors, s.errors)} data-testid="tree-error-mark">
          {s.text}
        </mark>
      ),
    );
  }
  if (text.length === 0 || segments.length > 0) out.push(...pointsAt(text.length));
  return (
    <pre className="rt-raw" data-testid="tree-raw">
      {out}
    </pre>
  );
});

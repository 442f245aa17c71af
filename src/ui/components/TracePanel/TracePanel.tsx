// One order's judgements: a sample picker when there are several (each with its verdict in the original
// labels) and the picked sample's rubric tree, growing while it streams. Presentational; the picked
// sample is local view state.
import { memo, useState } from 'react';
import type { Verdict } from '../../../rm/cor_parser';
import { RubricTree } from '../RubricTree/RubricTree';

export interface TracePanelProps {
  title: string;
  note?: string;
  texts: string[]; // the trace (so far) of each sample
  verdicts: (Verdict | null)[] | null; // per sample, in the original labels; null while streaming
  streaming: boolean;
  testId: string;
}

export const TracePanel = memo(function TracePanel({
  title,
  note,
  texts,
  verdicts,
  streaming,
  testId,
}: TracePanelProps) {
  const [picked, setPicked] = useState(0);
  const i = Math.min(picked, Math.max(0, texts.length - 1));
  return (
    <div className="trace-panel" data-testid={testId}>
      <h3>{title}</h3>
      {note && <p className="muted note">{note}</p>}
      {texts.length > 1 && (
        <div className="samples" role="group" aria-label={`${title}: samples`}>
          {texts.map((_, k) => (
            <button
              type="button"
              key={k}
              className={k === i ? '' : 'secondary'}
              aria-pressed={k === i}
              onClick={() => setPicked(k)}
            >
              #{k + 1}
              {verdicts ? ` ${verdicts[k] ?? '–'}` : ''}
            </button>
          ))}
        </div>
      )}
      {texts.length > 0 && <RubricTree text={texts[i]} streaming={streaming} />}
    </div>
  );
});

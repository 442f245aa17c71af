// Progress of each phase of the run (SFT steps, evaluation judgements, GRPO steps) and the ETA of the
// current one. Presentational.
import { memo } from 'react';
import type { Phase, PhaseProgress } from '../../../train/pipeline';

const NAMES: Record<string, string> = {
  sft: 'distillation (SFT)',
  'eval-sft': 'held-out eval',
  grpo: 'GRPO',
  'eval-grpo': 'held-out eval',
};

export function formatEta(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '';
  const r = Math.max(0, Math.round(s));
  return r >= 60 ? `${Math.floor(r / 60)} min ${r % 60} s left` : `${r} s left`;
}

export const StageProgress = memo(function StageProgress({
  progress,
  phase,
  eta,
}: {
  progress: PhaseProgress[];
  phase: Phase;
  eta: number | null;
}) {
  return (
    <ol className="stages" data-testid="stage-progress">
      {progress.map((p) => {
        const frac = p.total ? p.done / p.total : 0;
        const current = p.phase === phase;
        return (
          <li key={p.phase} className={current ? 'current' : p.done >= p.total && p.total > 0 ? 'finished' : ''}>
            <span className="name">{NAMES[p.phase] ?? p.phase}</span>
            <span className="bar">
              <span style={{ width: `${100 * frac}%` }} />
            </span>
            <span className="count">
              {p.done}/{p.total}
            </span>
            {current && eta !== null && (
              <span className="eta" data-testid="eta">
                {formatEta(eta)}
              </span>
            )}
          </li>
        );
      })}
    </ol>
  );
});

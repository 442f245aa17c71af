// How fast the judge writes (tokens/s over every trace of the request, from the first readback on) and how
// many tokens it has written; "stopped" when the user stopped it. Presentational: the store counts.
import { memo } from 'react';
import { type SpeedMeter, tokensPerSecond, tokensWritten } from '../../../state/judge_speed';

export const JudgeSpeed = memo(function JudgeSpeed({
  meter,
  running,
  stopped,
}: {
  meter: SpeedMeter;
  running: boolean;
  stopped: boolean;
}) {
  const written = tokensWritten(meter);
  if (written === 0 && !stopped) return null;
  const rate = tokensPerSecond(meter);
  return (
    <p className="muted" role="status" data-testid="judge-speed">
      {rate === null ? '… tokens/s' : `${rate.toFixed(1)} tokens/s`} · {written} tokens written
      {running ? '' : stopped ? ' · stopped: the traces so far are shown, no verdict' : ' · done'}
    </p>
  );
});

// A judgement's tokens, each shaded by a per-token value (advantage, ratio, clipping, KL or log-prob),
// with the value in its tooltip. Text is rendered as text, never as markup. Presentational.
import { memo } from 'react';
import type { ShadeMode } from '../../../state/grpo_view';

export interface TokenTraceProps {
  tokens: string[];
  values: number[];
  mode: ShadeMode;
}

/** Background for a value: diverging around the mode's neutral point, saturating at its scale. */
function shade(v: number, mode: ShadeMode): string {
  const [center, scale] =
    mode === 'ratio'
      ? [1, 0.2]
      : mode === 'logp'
        ? [0, 5]
        : mode === 'kl'
          ? [0, 0.05]
          : mode === 'clipped'
            ? [0, 1]
            : [0, 1.5];
  const x = Math.max(-1, Math.min(1, (v - center) / scale));
  if (mode === 'logp') return `rgba(220, 38, 38, ${Math.min(1, -v / scale) * 0.6})`; // less likely = redder
  if (mode === 'kl' || mode === 'clipped') return `rgba(217, 119, 6, ${Math.abs(x) * 0.6})`;
  return x >= 0 ? `rgba(5, 150, 105, ${x * 0.55})` : `rgba(220, 38, 38, ${-x * 0.55})`;
}

export const TokenTrace = memo(function TokenTrace({ tokens, values, mode }: TokenTraceProps) {
  return (
    <pre className="token-trace" data-testid="token-trace">
      {tokens.map((t, i) => (
        <span
          key={i}
          style={{ background: shade(values[i] ?? 0, mode) }}
          title={`token ${i}: ${JSON.stringify(t)} · ${mode} ${(values[i] ?? 0).toFixed(4)}`}
        >
          {t}
        </span>
      ))}
    </pre>
  );
});

// A signed horizontal bar for an advantage: right of the axis and green when positive, left and red
// when negative; `scale` is the value that fills half the width. Presentational.
import { memo } from 'react';

export const AdvantageBar = memo(function AdvantageBar({ value, scale }: { value: number; scale: number }) {
  const w = Math.min(50, (50 * Math.abs(value)) / (scale || 1));
  const style = value >= 0 ? { left: '50%', width: `${w}%` } : { left: `${50 - w}%`, width: `${w}%` };
  return (
    <span className="adv-bar" title={`advantage ${value.toFixed(3)}`} data-value={value.toFixed(4)}>
      <span className="axis" />
      <span className={value >= 0 ? 'fill pos' : 'fill neg'} style={style} />
    </span>
  );
});

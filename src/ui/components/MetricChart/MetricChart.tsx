// A line chart of one or more series over steps (one per metric or per run). Presentational: data in,
// SVG out; no animation, so live updates stay cheap.
import { memo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface Series {
  name: string;
  points: { step: number; value: number }[];
}

export interface MetricChartProps {
  title: string;
  series: Series[];
  description?: string; // the metric's definition, shown as the title's tooltip
  height?: number;
}

/**
 * Axis ticks in at most ~6 characters, with the digits the scale needs: KL lives around 1e-4, tokens/s in the hundreds.
 */
export const tick = (v: number): string => {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 0.01) return String(Number(v.toPrecision(3)));
  return v.toExponential(1).replace('e-', 'e−');
};

const COLORS = ['#6d28d9', '#059669', '#d97706', '#dc2626', '#2563eb', '#db2777', '#4b5563'];

export const MetricChart = memo(function MetricChart({ title, series, description, height = 180 }: MetricChartProps) {
  const points = series.reduce((n, s) => n + s.points.length, 0);
  const empty = points === 0;
  return (
    <figure className="chart" data-testid={`chart-${title}`} data-points={points} aria-label={`${title} chart`}>
      <figcaption title={description}>{title}</figcaption>
      {empty ? (
        <p className="muted">no points yet</p>
      ) : (
        <ResponsiveContainer width="100%" height={height}>
          <LineChart margin={{ top: 4, right: 12, bottom: 4, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis
              dataKey="step"
              type="number"
              domain={['dataMin', 'dataMax']}
              allowDecimals={false}
              allowDuplicatedCategory={false}
            />
            <YAxis domain={['auto', 'auto']} width={48} tickFormatter={tick} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(4) : String(v))} />
            {series.length > 1 && <Legend />}
            {series.map((s, i) => (
              <Line
                key={s.name}
                data={s.points}
                dataKey="value"
                name={s.name}
                stroke={COLORS[i % COLORS.length]}
                dot={s.points.length < 3}
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      )}
    </figure>
  );
});

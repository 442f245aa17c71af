// A line chart of one metric over steps. Presentational: data in, SVG out.
import { memo } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface LossChartProps {
  points: { step: number; value: number }[];
  label: string;
}

export const LossChart = memo(function LossChart({ points, label }: LossChartProps) {
  return (
    <div className="chart" data-testid="loss-chart" aria-label={`${label} chart`}>
      <ResponsiveContainer width="100%" height={240}>
        <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="step" type="number" domain={[1, 'dataMax']} allowDecimals={false} />
          <YAxis domain={['auto', 'auto']} width={48} tickFormatter={(v: number) => v.toFixed(2)} />
          <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(4) : String(v))} />
          <Line type="monotone" dataKey="value" name={label} stroke="#6d28d9" dot={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
});

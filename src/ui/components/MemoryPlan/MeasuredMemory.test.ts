// The measured memory line: the largest device_bytes per training stage (evaluation rows and rows without it
// ignored), beside the plan's peak when given; nothing when no step logged it.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { MetricsRow } from '../../../train/pipeline';
import { MeasuredMemory, measuredPeaks } from './MeasuredMemory';

const MiB = 2 ** 20;
const rows: MetricsRow[] = [
  { stage: 'sft', step: 1, elapsed: 1, device_bytes: 300 * MiB },
  { stage: 'sft', step: 2, elapsed: 2, device_bytes: 320 * MiB },
  { stage: 'eval', step: 2, elapsed: 3, device_bytes: 900 * MiB },
  { stage: 'grpo', step: 1, elapsed: 4, device_bytes: 1024 * MiB },
  { stage: 'grpo', step: 2, elapsed: 5 },
];
const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

describe('MeasuredMemory', () => {
  it('takes the largest device_bytes of each training stage', () => {
    expect(measuredPeaks(rows)).toEqual({ sft: 320 * MiB, grpo: 1024 * MiB });
    expect(measuredPeaks([{ stage: 'sft', step: 1, elapsed: 1 }])).toEqual({});
  });

  it('shows each stage measured, beside its plan when given; nothing without a measurement', () => {
    const t = text(renderToStaticMarkup(createElement(MeasuredMemory, { rows, planned: { grpo: 2048 * MiB } })));
    expect(t).toContain('Device memory measured: distillation 320.0 MiB, GRPO 1.00 GiB (plan 2.00 GiB)');
    expect(renderToStaticMarkup(createElement(MeasuredMemory, { rows: rows.slice(2, 3) }))).toBe('');
  });
});

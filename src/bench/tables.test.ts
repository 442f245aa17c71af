// The bench's tables and their Markdown, shared by the CLI and the bench page.
import { describe, expect, it } from 'vitest';
import type { BenchRow } from './bench';
import type { SuiteResult } from './suite';
import { resultMarkdown, resultTables } from './tables';

const row = (kernels: 'stock' | 'fused', dispatches: number): BenchRow => ({
  backend: 'webgpu',
  preset: 'nano',
  kernels,
  lora: 0,
  submitBatch: 15,
  params: 1000,
  layers: 2,
  train: {
    tokensPerSecond: 100,
    msPerStep: 50,
    kernelsPerStep: 300,
    dispatchesPerStep: dispatches,
    readbacksPerStep: 1,
    peakTensors: 90,
    peakBytes: 2 ** 20,
    dispatchesPerLayer: 60,
    fixedDispatches: dispatches - 120,
  },
  generate: {
    tokensPerSecond: 40,
    msPerToken: 25,
    kernelsPerToken: 80,
    dispatchesPerToken: 70,
    readbacks: 2,
    peakTensors: 100,
    peakBytes: 2 ** 20,
  },
  leakedTensors: 0,
});

const result: SuiteResult = {
  date: '2026-01-01T00:00:00.000Z',
  tfjs: '4.22.0',
  environments: ['Running on WebGPU on a test adapter'],
  skipped: ['wasm: not here'],
  kernels: ['webgpu: fused WebGPU kernels: all 20 cases passed the kernel self-check on this adapter (checked now)'],
  rows: [row('stock', 400), row('fused', 160)],
  comparisons: [],
  firstSteps: [],
  submitBatches: [],
  decodeCosts: [],
  poolTrims: [],
};

describe('bench tables', () => {
  it('renders a row per run with its dispatches, and Markdown with the kernel path and a header per table', () => {
    const [main] = resultTables(result);
    expect(main.rows).toHaveLength(2);
    expect(main.rows[1][main.headers.indexOf('dispatches/step')]).toBe('160');
    const md = resultMarkdown(result);
    expect(md).toContain('| backend | preset | kernels |');
    expect(md).toContain('| webgpu | nano | fused | 1000 |');
    expect(md).toContain('- skipped wasm: not here');
    expect(md).toContain('- kernels on webgpu: fused WebGPU kernels: all 20 cases passed the kernel self-check');
    expect(md).not.toContain('buffer pool trim');
  });
  it('adds the pool-trim table when it was measured', () => {
    const trims = {
      ...result,
      poolTrims: [
        {
          backend: 'webgpu',
          preset: 'nano' as const,
          kernels: 'fused' as const,
          lengths: [16, 32],
          rounds: 3,
          msPerStepUntrimmed: 100,
          msPerStepTrimmed: 104,
          ratio: 1.04,
          poolUntrimmedMB: 59.5,
          poolTrimmedMB: 0,
        },
      ],
    };
    const t = resultTables(trims).find((x) => x.title === 'WebGPU buffer pool trim')!;
    expect(t.rows).toEqual([['webgpu', 'nano', 'fused', '16,32', '100', '104', '1.04', '59.5', '0.0']]);
  });
});

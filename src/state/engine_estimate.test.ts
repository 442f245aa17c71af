// The Train page's estimate before Start: the run on the backend in use from this model's measurements, the
// much faster backend named when there is one (and only then), a clear note when the backend in use has no
// times, and the run record's note with the reason and the estimate.
import { describe, expect, it } from 'vitest';
import type { BackendChoice, CandidateId, Measurement, StepTimes } from '../engine/backend_choice';
import { RUN_DEFAULTS } from '../train/run_config';
import { estimateRun } from '../train/run_estimate';
import { backendNote, candidateInUse, draftEstimate, draftShapes } from './engine_estimate';

const times = (trainMs: number): StepTimes => ({
  shape: { batch: 16, seqLen: 96, decodeBatches: [16, 192], promptLength: 8, cacheLength: 192 },
  firstStepMs: trainMs * 2,
  trainMs,
  decodeMs: [trainMs / 20, trainMs / 5],
  totalMs: trainMs * 5,
});
const m = (id: CandidateId, t: StepTimes | null, note: string | null = null): Measurement => ({ id, times: t, note });
const run = RUN_DEFAULTS;
const secs = (t: StepTimes) => estimateRun(run, draftShapes(run), t).seconds;

describe('draftEstimate', () => {
  const measured = [m('wasm', times(500)), m('webgpu/stock', times(5000)), m('webgpu/fused', times(4000))];

  it('estimates on the backend in use; no alternative when none is much faster', () => {
    const e = draftEstimate(run, measured, 'wasm', 'wasm');
    expect(e.label).toBe('WASM');
    expect(e.estimate?.seconds).toBeCloseTo(secs(times(500)), 9);
    expect(e.alternative).toBeNull();
    expect(e.note).toBeNull();
  });

  it('names a much faster backend with its estimate', () => {
    const e = draftEstimate(run, measured, 'webgpu/stock', 'webgpu');
    expect(e.label).toBe('WebGPU (stock ops)');
    expect(e.alternative).toEqual({ id: 'wasm', backend: 'wasm', label: 'WASM', seconds: secs(times(500)) });
    // fused is faster than stock, but not by a third: not worth a restart
    const close = draftEstimate(
      run,
      [m('webgpu/stock', times(500)), m('webgpu/fused', times(450))],
      'webgpu/stock',
      'webgpu',
    );
    expect(close.alternative).toBeNull();
  });

  it('says why there is no estimate', () => {
    expect(draftEstimate(run, undefined, 'wasm', 'wasm').note).toBe('not measured yet for this model');
    const stopped = [m('wasm', times(500)), m('webgpu/stock', null, 'stopped after 15.2 s in its first steps')];
    const e = draftEstimate(run, stopped, 'webgpu/stock', 'webgpu');
    expect(e.estimate).toBeNull();
    expect(e.note).toBe(
      'WebGPU (stock ops) has no step times for this model (stopped after 15.2 s in its first steps)',
    );
    expect(e.alternative?.label).toBe('WASM'); // any measured backend beats an unknown one
    expect(draftEstimate(run, stopped, null, 'cpu').label).toBe('CPU');
  });

  it('maps a backend and kernel path to the measured candidate', () => {
    expect(candidateInUse('wasm', 'stock')).toBe('wasm');
    expect(candidateInUse('webgpu', 'fused')).toBe('webgpu/fused');
    expect(candidateInUse('webgpu', 'stock')).toBe('webgpu/stock');
    expect(candidateInUse('webgl', null)).toBeNull();
  });
});

describe('backendNote', () => {
  it("is the choice's reason and the estimate on the backend in use", () => {
    const choice = { reason: 'WASM: the fastest measured on this device' } as BackendChoice;
    const note = backendNote(run, choice, [m('wasm', times(500))], 'wasm', 'stock');
    expect(note).toMatch(/^WASM: the fastest measured on this device; estimated before start on WASM: ~\d+ (min|s)$/);
    expect(backendNote(run, null, undefined, 'wasm', 'stock')).toBeNull();
  });
});

// A new run record says which backend and which ops run, and why, as its first notes (the run's record of
// how it ran, beside its config).
import { describe, expect, it } from 'vitest';
import { RUN_DEFAULTS } from './run_config';
import { newRunRecord } from './run_recorder';

describe('newRunRecord', () => {
  it('notes the backend choice, then the kernels; none when neither is known', () => {
    const r = newRunRecord('r1', RUN_DEFAULTS, {
      backend: 'wasm',
      backendChoice: 'WASM: the fastest measured on this device; estimated before start on WASM: ~21 min',
      kernels: 'stock tfjs ops: the backend is wasm',
      now: 5,
    });
    expect(r.notes).toEqual([
      'Backend: WASM: the fastest measured on this device; estimated before start on WASM: ~21 min',
      'Kernels: stock tfjs ops: the backend is wasm',
    ]);
    expect(r.backend).toBe('wasm');
    expect(newRunRecord('r2', RUN_DEFAULTS).notes).toEqual([]);
  });
});

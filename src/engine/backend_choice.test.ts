// The backend choice with stand-in probes (no backend runs): it picks the candidate whose run is fastest,
// honours an override without measuring, names every candidate it does not use with its time or why it has
// none (nothing refused silently), measures WebGPU within a budget set by WASM's probe, skips fused when stock
// could not be measured, asks for stock kernels when stock measured faster than fused, never prefers a
// software adapter unmeasured, and caches per adapter and model (a visit that measured nothing is not kept).
import { describe, expect, it } from 'vitest';
import type { AdapterReport } from './backend';
import {
  BUDGET_FACTOR,
  BUDGET_FLOOR_MS,
  type BackendChoiceDeps,
  type Candidate,
  type CandidateId,
  chooseBackend,
  decideBackend,
  formatDuration,
  isSoftwareAdapter,
  type Measurement,
  type StepTimes,
  type TimingsRecord,
} from './backend_choice';
import { memoryCache } from './keyed_cache';

const adapter = (description: string, fallback = false): AdapterReport => ({
  vendor: 'acme',
  architecture: 'rdna9',
  device: '',
  description,
  limits: {},
  features: [],
  fallback,
});
const SHAPE = { batch: 16, seqLen: 96, decodeBatches: [16, 192], promptLength: 8, cacheLength: 192 };
/** Stand-in times: a run costs trainMs seconds (the cost below), the probe took totalMs. */
const times = (trainMs: number, totalMs = 3000): StepTimes => ({
  shape: SHAPE,
  firstStepMs: 2 * trainMs,
  trainMs,
  decodeMs: [1, 2],
  totalMs,
});
const cost = (t: StepTimes) => t.trainMs; // "seconds of the run"
const m = (id: CandidateId, t: StepTimes | null, note: string | null = null): Measurement => ({ id, times: t, note });

/** Stand-in probes: each candidate's outcome, and a log of (candidate, budget) calls. */
function probes(outcomes: Partial<Record<CandidateId, StepTimes | string>>, extra: Partial<BackendChoiceDeps> = {}) {
  const calls: { id: CandidateId; budgetMs: number }[] = [];
  const deps: BackendChoiceDeps = {
    adapter: adapter('Acme X1'),
    cache: memoryCache<TimingsRecord>(),
    key: 'Acme X1 | test | tiny',
    model: 'tiny',
    measure: async (c: Candidate, budgetMs: number) => {
      calls.push({ id: c.id, budgetMs });
      const o = outcomes[c.id];
      return typeof o === 'string' || o === undefined ? m(c.id, null, o ?? 'no stand-in') : m(c.id, o);
    },
    cost,
    now: () => 1_000,
    ...extra,
  };
  return { deps, calls };
}

describe('chooseBackend', () => {
  it('picks the fastest measured candidate and names the others with their times', async () => {
    const { deps, calls } = probes({ wasm: times(1200), 'webgpu/stock': times(600), 'webgpu/fused': times(300) });
    const c = await chooseBackend('auto', deps);
    expect(calls.map((x) => x.id)).toEqual(['wasm', 'webgpu/stock', 'webgpu/fused']);
    expect(c).toMatchObject({ mode: 'auto', backend: 'webgpu', candidate: 'webgpu/fused', kernels: 'auto' });
    expect(c.reason).toBe(
      'WebGPU (fused kernels): the fastest measured on this device, the run ~5 min ' +
        '(WASM: ~20 min; WebGPU (stock ops): ~10 min)',
    );
    expect(c.cached).toBe(false);
  });

  it('WASM wins over a slow GPU, and WebGPU stock over fused asks the kernel rule for stock ops', async () => {
    const slowGpu = probes({ wasm: times(100), 'webgpu/stock': times(1000), 'webgpu/fused': times(2000) });
    expect(await chooseBackend('auto', slowGpu.deps)).toMatchObject({ backend: 'wasm', kernels: 'auto' });
    const stockFaster = probes({ wasm: times(900), 'webgpu/stock': times(100), 'webgpu/fused': times(200) });
    expect(await chooseBackend('auto', stockFaster.deps)).toMatchObject({
      backend: 'webgpu',
      candidate: 'webgpu/stock',
      kernels: 'stock',
    });
  });

  it("budgets WebGPU at BUDGET_FACTOR × WASM's probe (at least the floor); no fused if stock stopped", async () => {
    const wasmTotal = 10_000;
    const { deps, calls } = probes({ wasm: times(100, wasmTotal), 'webgpu/stock': 'stopped: over the budget' });
    const c = await chooseBackend('auto', deps);
    expect(calls.map((x) => x.id)).toEqual(['wasm', 'webgpu/stock']);
    expect(calls[1].budgetMs).toBe(Math.max(BUDGET_FLOOR_MS, BUDGET_FACTOR * wasmTotal));
    expect(c.backend).toBe('wasm');
    expect(c.measurements.find((x) => x.id === 'webgpu/fused')?.note).toMatch(/^not measured:/);
    expect(c.reason).toContain('WebGPU (stock ops): stopped: over the budget');
    const quick = probes({ wasm: times(100, 500) });
    await chooseBackend('auto', quick.deps);
    expect(quick.calls[1].budgetMs).toBe(BUDGET_FLOOR_MS);
  });

  it('without a WebGPU adapter it does not probe WebGPU and says why, once', async () => {
    const { deps, calls } = probes({ wasm: times(100) }, { adapter: 'requestAdapter() returned no adapter' });
    const c = await chooseBackend('auto', deps);
    expect(calls.map((x) => x.id)).toEqual(['wasm']);
    expect(c.reason).toBe(
      'WASM: the fastest measured on this device, the run ~2 min ' +
        '(WebGPU: not available: requestAdapter() returned no adapter)',
    );
  });

  it('honours an override without measuring, with its times when cached', async () => {
    const { deps, calls } = probes({ wasm: times(100), 'webgpu/stock': times(900), 'webgpu/fused': times(800) });
    const unmeasured = await chooseBackend('webgpu', deps);
    expect(calls).toEqual([]);
    expect(unmeasured).toMatchObject({ mode: 'webgpu', backend: 'webgpu', candidate: null, measuredAt: null });
    expect(unmeasured.reason).toBe('WEBGPU, as chosen (override)');
    await chooseBackend('auto', deps); // measures and caches
    const override = await chooseBackend('webgpu', deps);
    expect(override).toMatchObject({ backend: 'webgpu', candidate: 'webgpu/fused', cached: true });
    expect(override.reason).toMatch(/^WEBGPU, as chosen \(override\): the run ~13 min \(WASM: ~2 min; /);
  });

  it('caches per adapter and model; a visit that measured nothing is not kept', async () => {
    const cache = memoryCache<TimingsRecord>();
    const first = probes({ wasm: times(100), 'webgpu/stock': times(50) }, { cache });
    await chooseBackend('auto', first.deps);
    const again = probes({ wasm: times(999) }, { cache });
    const c = await chooseBackend('auto', again.deps);
    expect(again.calls).toEqual([]); // from the cache
    expect(c).toMatchObject({ cached: true, backend: 'webgpu', measuredAt: 1_000 });
    const other = probes({ wasm: times(100) }, { cache, key: 'Acme X2 | test | tiny' });
    await chooseBackend('auto', other.deps);
    expect(other.calls.length).toBeGreaterThan(0); // another adapter measures again
    const failing = probes({}, { cache, key: 'broken' });
    await chooseBackend('auto', failing.deps);
    expect(await cache.get('broken')).toBeUndefined();
  });
});

describe('decideBackend without measurements', () => {
  const none = [m('wasm', null, 'cannot start: no WASM'), m('webgpu/stock', null, 'the probe failed: lost')];
  it('never prefers a software adapter unmeasured; a real one goes first as usual; both say why', () => {
    const soft = decideBackend('auto', none, cost, true);
    expect(soft.backend).toBe('wasm');
    expect(soft.reason).toBe(
      'WASM: no backend could be measured; WebGPU here is a software adapter (WASM: cannot start: no WASM; ' +
        'WebGPU (stock ops): the probe failed: lost)',
    );
    expect(decideBackend('auto', none, cost, false).backend).toBe('webgpu');
  });
  it('recognises SwiftShader and the fallback flag as software', () => {
    expect(isSoftwareAdapter(adapter('SwiftShader device (Subzero)'))).toBe(true);
    expect(isSoftwareAdapter(adapter('Acme X1', true))).toBe(true);
    expect(isSoftwareAdapter(adapter('Acme X1'))).toBe(false);
  });
});

describe('formatDuration', () => {
  it('reads as seconds, minutes, or hours and minutes', () => {
    expect([0.2, 45, 89, 90, 1260, 7199, 7200, 11_400].map(formatDuration)).toEqual([
      '1 s',
      '45 s',
      '89 s',
      '2 min',
      '21 min',
      '2 h 00 min',
      '2 h 00 min',
      '3 h 10 min',
    ]);
  });
});

// The backend probe on the CPU backend with the nano model: every time is measured and positive, nothing is
// left on the backend, a budget stops it after the first step with the reason, and a candidate that cannot
// start or whose fused kernels the kernel rule refuses carries that as its note (the fused switch restored).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BackendReport } from '../engine/backend';
import { candidate } from '../engine/backend_choice';
import type { KernelChoice } from '../engine/kernel_choice';
import { fusedKernelsOn } from '../engine/kernels/fused';
import { switchTestBackend } from '../engine/test_backends';
import { benchConfig } from './bench';
import { measureCandidate, measureStepTimes, probeShape } from './step_times';

const cfg = benchConfig('nano');
const small = { ...probeShape(cfg), batch: 4, seqLen: 32, decodeBatches: [2, 8], cacheLength: 48 };
const cpu: BackendReport = { name: 'cpu', skipped: [], summary: 'Running on CPU' };

beforeAll(() => switchTestBackend('cpu'));

describe('measureStepTimes', () => {
  it('times a first and a warm training step and a decode step per batch, leaving no tensor behind', async () => {
    const before = tf.memory().numTensors;
    const p = await measureStepTimes(cfg, small);
    if (!('times' in p)) throw new Error(p.stopped);
    const t = p.times;
    expect(t.shape).toEqual(small);
    expect(t.decodeMs).toHaveLength(2);
    for (const x of [t.firstStepMs, t.trainMs, ...t.decodeMs]) expect(x).toBeGreaterThan(0);
    expect(t.totalMs).toBeGreaterThanOrEqual(t.firstStepMs + t.trainMs);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops after the first step once over the budget, saying so', async () => {
    const before = tf.memory().numTensors;
    const p = await measureStepTimes(cfg, small, 0);
    expect('stopped' in p && p.stopped).toMatch(
      /^stopped after the first training step: [\d.]+ s, over the budget of 0\.0 s$/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('measureCandidate', () => {
  const noKernels = async (): Promise<KernelChoice> => {
    throw new Error('not asked');
  };
  it('a backend that cannot start is a note, not a throw', async () => {
    const m = await measureCandidate(candidate('wasm'), cfg, Infinity, {
      start: async () => {
        throw new Error('no WASM here');
      },
      kernels: noKernels,
    });
    expect(m).toEqual({ id: 'wasm', times: null, note: 'cannot start: no WASM here' });
  });

  it('fused is measured only where the kernel rule gives fused; the switch is left as it was', async () => {
    const was = fusedKernelsOn();
    let timed = false;
    const m = await measureCandidate(candidate('webgpu/fused'), cfg, Infinity, {
      start: async () => cpu,
      kernels: async () =>
        ({
          path: 'stock',
          summary: 'stock tfjs ops: the kernel self-check found a mismatch in SwiGLU',
        }) as KernelChoice,
      onTiming: () => {
        timed = true;
      },
    });
    expect(m.note).toBe('not measured: stock tfjs ops: the kernel self-check found a mismatch in SwiGLU');
    expect(timed).toBe(false);
    expect(fusedKernelsOn()).toBe(was);
  });
});

// The kernel rule with a stand-in self-check: on WebGPU, auto is fused when the check passes and stock,
// naming the kernel, when it does not; the outcome is cached per adapter (a second start does not rerun the
// check; another adapter, browser or engine version does); explicit stock and fused are honoured; off
// WebGPU it is stock with the reason. The file cache survives a process (and a corrupt file), and the
// engine version follows its sources. Then the real self-check on WebGPU, with a broken kernel swapped in,
// turns auto to stock naming it. Subgroups: on where the device has them unless the caller rules them out, and
// a mismatch in subgroup runs alone keeps the fused kernels, without subgroups.
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type * as tf from '@tensorflow/tfjs';
import type { AdapterReport, BackendName, BackendReport } from './backend';
import { engineSourceVersion } from './engine_version_node';
import {
  adapterKey,
  type KernelChoiceDeps,
  memoryKernelCheckCache,
  parseKernelMode,
  selectKernels,
} from './kernel_choice';
import { fileKernelCheckCache } from './kernel_choice_node';
import { withKernelReplaced } from './kernels/check_tensor';
import { fusedKernelsOn, switchFusedKernels } from './kernels/fused';
import { checkFusedKernels, type KernelCheck, SELF_CHECK_CASES } from './kernels/self_check';
import { subgroupsAllowed, switchSubgroups } from './kernels/subgroups';
import { switchTestBackend, testBackends } from './test_backends';

const adapter = (description: string): AdapterReport => ({
  vendor: 'acme',
  architecture: 'rdna9',
  device: '0x1234',
  description,
  limits: {},
  features: [],
});
const report = (name: BackendName = 'webgpu', description = 'Acme X1'): BackendReport => ({
  name,
  adapter: name === 'webgpu' ? adapter(description) : undefined,
  skipped: [],
  summary: `Running on ${name}`,
});
const result = (kernel: string, pass: boolean): KernelCheck => ({
  kernel,
  shapes: 'x [2,3]',
  forward: pass ? 0 : 0.5,
  gradient: null,
  pass,
});

/** A stand-in self-check that counts its runs; `failing` names the kernels it reports wrong. */
function standIn(failing: string[] = []) {
  const calls = { n: 0 };
  const check = async () => {
    calls.n++;
    return ['RMSNorm', 'SwiGLU', 'attention'].map((k) => result(k, !failing.includes(k)));
  };
  return { calls, check };
}

const deps = (check: () => Promise<KernelCheck[]>, extra: Partial<KernelChoiceDeps> = {}): KernelChoiceDeps => ({
  cache: memoryKernelCheckCache(),
  version: 'v1',
  runtime: 'Chrome 140',
  check,
  now: () => Date.UTC(2026, 4, 1, 14, 3),
  ...extra,
});

afterEach(() => {
  switchFusedKernels(false);
  switchSubgroups(true);
});

describe('the kernel rule', () => {
  it('auto on WebGPU: the check passes, so fused, and the switch is on', async () => {
    const s = standIn();
    const c = await selectKernels('auto', report(), deps(s.check));
    expect(c).toEqual({
      mode: 'auto',
      path: 'fused',
      summary: 'fused WebGPU kernels: all 3 cases passed the kernel self-check on this adapter (checked now)',
      failing: [],
      checkedAt: Date.UTC(2026, 4, 1, 14, 3),
      cached: false,
      subgroups: false, // the report does not say the device has them
    });
    expect(fusedKernelsOn()).toBe(true);
    expect(s.calls.n).toBe(1);
  });

  it('subgroups: on where the device has them, off when the caller says so or off the fused path', async () => {
    const withSubgroups = { ...report(), subgroups: true };
    const on = await selectKernels('auto', withSubgroups, deps(standIn().check));
    expect(on).toMatchObject({ path: 'fused', subgroups: true });
    expect(on.summary).toMatch(/passed the kernel self-check .*; reductions by subgroups$/);
    expect(subgroupsAllowed()).toBe(true);
    const off = await selectKernels('auto', withSubgroups, deps(standIn().check, { subgroups: false }));
    expect(off).toMatchObject({ path: 'fused', subgroups: false });
    expect(off.summary).toMatch(/; no subgroups, as chosen$/);
    expect(subgroupsAllowed()).toBe(false);
    expect(await selectKernels('stock', withSubgroups, deps(standIn().check))).toMatchObject({ subgroups: false });
  });

  it('a mismatch only in reductions by subgroups: fused, without subgroups, naming them', async () => {
    const check = async () => [
      result('RMSNorm, with subgroups', false),
      result('RMSNorm, without subgroups', true),
      result('SwiGLU', true),
    ];
    const c = await selectKernels('auto', { ...report(), subgroups: true }, deps(check));
    expect(c).toMatchObject({ path: 'fused', subgroups: false, failing: ['RMSNorm, with subgroups'] });
    expect(c.summary).toBe(
      'fused WebGPU kernels, their reductions without subgroups: the kernel self-check found a mismatch in ' +
        'RMSNorm, with subgroups on this adapter (checked now)',
    );
    expect(fusedKernelsOn()).toBe(true);
    expect(subgroupsAllowed()).toBe(false);
    // the same kernel wrong both ways is no subgroup matter: stock
    const both = async () => [result('RMSNorm, with subgroups', false), result('RMSNorm, without subgroups', false)];
    expect(await selectKernels('auto', { ...report(), subgroups: true }, deps(both))).toMatchObject({ path: 'stock' });
  });

  it('auto on WebGPU: a mismatch gives stock, naming the failing kernel, and the switch is off', async () => {
    switchFusedKernels(true);
    const c = await selectKernels('auto', report(), deps(standIn(['SwiGLU']).check));
    expect(c.path).toBe('stock');
    expect(c.failing).toEqual(['SwiGLU']);
    expect(c.summary).toBe(
      'stock tfjs ops: the kernel self-check found a mismatch in SwiGLU on this adapter (checked now)',
    );
    expect(fusedKernelsOn()).toBe(false);
  });

  it('caches per adapter: a second start does not rerun the check; a new adapter, browser, version does', async () => {
    const s = standIn(['attention']);
    const d = deps(s.check);
    await selectKernels('auto', report(), d);
    const again = await selectKernels('auto', report(), d);
    expect(s.calls.n).toBe(1);
    expect(again).toMatchObject({ path: 'stock', failing: ['attention'], cached: true });
    expect(again.summary).toContain('(cached result from 2026-05-01 14:03 UTC)');
    await selectKernels('auto', report('webgpu', 'Acme X2'), d);
    expect(s.calls.n).toBe(2);
    await selectKernels('auto', report(), { ...d, runtime: 'Chrome 141' });
    expect(s.calls.n).toBe(3);
    await selectKernels('auto', report(), { ...d, version: 'v2' });
    expect(s.calls.n).toBe(4);
    await selectKernels('auto', report(), d); // all four are cached side by side
    expect(s.calls.n).toBe(4);
  });

  it('a development build (no version) checks at every start; recheck replaces a cached outcome', async () => {
    const s = standIn();
    await selectKernels('auto', report(), deps(s.check, { version: null }));
    await selectKernels('auto', report(), deps(s.check, { version: null }));
    expect(s.calls.n).toBe(2);
    const cache = memoryKernelCheckCache();
    await selectKernels('auto', report(), deps(standIn(['RMSNorm']).check, { cache }));
    const fresh = await selectKernels('auto', report(), deps(s.check, { cache, recheck: true }));
    expect(fresh).toMatchObject({ path: 'fused', cached: false });
    expect(await selectKernels('auto', report(), deps(s.check, { cache }))).toMatchObject({
      path: 'fused',
      cached: true,
    });
  });

  it('explicit stock and fused are honoured, the check not run; fused reports what a cached check found', async () => {
    const s = standIn(['SwiGLU']);
    const d = deps(s.check);
    switchFusedKernels(true);
    expect(await selectKernels('stock', report(), d)).toMatchObject({
      path: 'stock',
      summary: 'stock tfjs ops, as chosen',
    });
    expect(fusedKernelsOn()).toBe(false);
    expect((await selectKernels('fused', report(), d)).summary).toBe(
      'fused WebGPU kernels, as chosen; the self-check has not run on this adapter',
    );
    expect(fusedKernelsOn()).toBe(true);
    expect(s.calls.n).toBe(0);
    await selectKernels('auto', report(), d); // the check runs, finds SwiGLU wrong: stock
    const forced = await selectKernels('fused', report(), d);
    expect(forced).toMatchObject({ path: 'fused', failing: ['SwiGLU'], cached: true });
    expect(forced.summary).toBe(
      'fused WebGPU kernels, as chosen; although the kernel self-check found a mismatch in SwiGLU on this adapter ' +
        '(cached result from 2026-05-01 14:03 UTC)',
    );
    expect(s.calls.n).toBe(1);
  });

  it('off WebGPU: stock, saying why, for auto and fused alike, and no check runs', async () => {
    const s = standIn();
    for (const mode of ['auto', 'fused'] as const) {
      const c = await selectKernels(mode, report('wasm'), deps(s.check));
      expect(c).toMatchObject({ mode, path: 'stock', failing: [], checkedAt: null });
      expect(c.summary).toBe('stock tfjs ops: the backend is wasm, and the fused kernels are WebGPU programs');
    }
    expect(fusedKernelsOn()).toBe(false);
    expect(s.calls.n).toBe(0);
  });

  it('a check that cannot run gives stock with its message, and is not cached', async () => {
    let n = 0;
    const d = deps(async () => {
      n++;
      throw new Error('device lost');
    });
    const c = await selectKernels('auto', report(), d);
    expect(c).toMatchObject({
      path: 'stock',
      summary: 'stock tfjs ops: the kernel self-check could not run (device lost)',
    });
    await selectKernels('auto', report(), d);
    expect(n).toBe(2);
  });

  it('parses a mode or names the bad one', () => {
    expect(parseKernelMode('fused', '--kernels')).toBe('fused');
    expect(() => parseKernelMode('fast', '--kernels')).toThrow(
      '--kernels must be one of auto, fused, stock; got "fast"',
    );
  });
});

describe('the Node cache and the engine version', () => {
  it('a JSON file keeps outcomes across processes; a missing or corrupt file is an empty cache', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rl-kernels-')), 'cache', 'kernel-checks.json');
    const s = standIn(['RMSNorm']);
    await selectKernels('auto', report(), deps(s.check, { cache: fileKernelCheckCache(file) }));
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    const key = adapterKey(adapter('Acme X1'), 'Chrome 140', 'v1');
    expect(stored[key]).toMatchObject({ key, cases: 3, failing: [{ kernel: 'RMSNorm' }] });
    // a new cache object on the same file: another process
    const again = await selectKernels('auto', report(), deps(s.check, { cache: fileKernelCheckCache(file) }));
    expect(again).toMatchObject({ path: 'stock', cached: true });
    expect(s.calls.n).toBe(1);
    writeFileSync(file, '{ not json');
    await selectKernels('auto', report(), deps(s.check, { cache: fileKernelCheckCache(file) }));
    expect(s.calls.n).toBe(2);
    expect(JSON.parse(readFileSync(file, 'utf8'))[key].cases).toBe(3); // rewritten whole
  });

  it('the engine version changes when a source changes, not when a test does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-engine-'));
    mkdirSync(join(dir, 'kernels'));
    writeFileSync(join(dir, 'model.ts'), 'export const a = 1;');
    writeFileSync(join(dir, 'kernels', 'rope.ts'), 'export const b = 2;');
    const v1 = engineSourceVersion(dir);
    writeFileSync(join(dir, 'kernels', 'rope.test.ts'), 'test');
    expect(engineSourceVersion(dir)).toBe(v1);
    writeFileSync(join(dir, 'kernels', 'rope.ts'), 'export const b = 3;');
    expect(engineSourceVersion(dir)).not.toBe(v1);
    expect(engineSourceVersion()).toMatch(/^[0-9a-f]{16}$/); // the real engine folder
  });
});

const backends = await testBackends();

describe.runIf(backends.includes('webgpu'))('the kernel rule with the real self-check on webgpu', () => {
  it('a broken add + RMSNorm backward swapped in: auto falls back to stock naming it', async () => {
    await switchTestBackend('webgpu');
    const r = report('webgpu', 'SwiftShader');
    const cases = SELF_CHECK_CASES.filter((c) => c.kernel.startsWith('residual add + RMSNorm'));
    const check = () => checkFusedKernels(undefined, cases);
    const d = { cache: memoryKernelCheckCache(), version: 'test', runtime: 'Node', check };
    expect(await selectKernels('auto', r, d)).toMatchObject({ path: 'fused', failing: [] });
    const dropReaders =
      (original: tf.KernelFunc): tf.KernelFunc =>
      (args) =>
        original({
          ...args,
          inputs: Object.fromEntries(Object.entries(args.inputs).filter(([k]) => !/^dy[1-9]$/.test(k))),
        });
    const c = await withKernelReplaced('RubricAddRmsNormDs', dropReaders, () =>
      selectKernels('auto', r, { ...d, recheck: true }),
    );
    expect(c.path).toBe('stock');
    expect(c.failing).toEqual([
      'residual add + RMSNorm, y read by 2 (gate, up)',
      'residual add + RMSNorm, y read by 3 (q, k, v)',
    ]);
    expect(c.summary).toContain(
      'mismatch in residual add + RMSNorm, y read by 2 (gate, up); residual add + RMSNorm, y read by 3 (q, k, v)',
    );
    expect(fusedKernelsOn()).toBe(false);
  }, 120_000);
});

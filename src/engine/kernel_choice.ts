// Which ops run — our fused WebGPU kernels or the stock tfjs compositions — and why: one rule for the app's
// worker, the bench page and the CLIs (`--kernels auto|fused|stock`, default auto).
//   auto   on WebGPU, fused when the kernel self-check (kernels/self_check.ts) passes on this adapter;
//          on any mismatch stock, naming the failing kernels. The check runs once per adapter, runtime and
//          engine version, and its outcome is cached. Off WebGPU, stock: there is nothing to fuse.
//   fused  fused on WebGPU whatever the check says (its cached outcome, if any, is reported); stock elsewhere.
//   stock  stock.
// The caller gives the cache (keyed_cache.ts): IndexedDB in a browser worker (worker/engine_cache_idb.ts), a
// JSON file in Node (kernel_choice_node.ts). Leaves out: choosing kernel by kernel (one failing case turns all off).
// Subgroups: where the device has them, the fused reductions use them (kernels/subgroups.ts) unless the caller says
// not to (deps.subgroups false) or the self-check found only their subgroup runs wrong — then fused, without them.
import * as tf from '@tensorflow/tfjs';
import type { AdapterReport, BackendReport } from './backend';
import { type KeyedCache, memoryCache } from './keyed_cache';
import { switchFusedKernels } from './kernels/fused';
import { checkFusedKernels, describeCheck, type KernelCheck, WITH_SUBGROUPS } from './kernels/self_check';
import { switchSubgroups } from './kernels/subgroups';

export type KernelMode = 'auto' | 'fused' | 'stock';
export const KERNEL_MODES: readonly KernelMode[] = ['auto', 'fused', 'stock'];

/** Which ops a run takes: the stock tfjs compositions, or the fused WebGPU kernels (WebGPU only). */
export type KernelPath = 'stock' | 'fused';

/** The kernel mode named by `s`; `where` says where it came from (a flag, a query) in the error. */
export function parseKernelMode(s: string, where: string): KernelMode {
  if ((KERNEL_MODES as readonly string[]).includes(s)) return s as KernelMode;
  throw new Error(`${where} must be one of ${KERNEL_MODES.join(', ')}; got "${s}"`);
}

/** The self-check's outcome on one adapter, as cached. */
export interface KernelCheckRecord {
  key: string; // adapterKey(...)
  adapter: string; // readable adapter name
  checkedAt: number; // ms since the epoch
  cases: number;
  failing: { kernel: string; detail: string }[]; // empty: every case passed
}

export type KernelCheckCache = KeyedCache<KernelCheckRecord>;

/** The kernel path in force and why. */
export interface KernelChoice {
  mode: KernelMode;
  path: KernelPath;
  summary: string; // one sentence: the path, then why
  failing: string[]; // kernels the self-check found wrong on this adapter; empty when it passed or did not run
  checkedAt: number | null; // when the self-check behind this ran; null: none did
  cached: boolean; // that outcome came from the cache
  subgroups: boolean; // the fused reductions run by subgroups (the device has them and nothing ruled them out)
}

export interface KernelChoiceDeps {
  cache: KernelCheckCache;
  version: string | null; // the engine code's version (a hash of its sources); null: never cache (a dev build)
  runtime: string; // what compiles the WGSL: the browser's user agent, or Node and Dawn
  check?: () => Promise<KernelCheck[]>; // default: checkFusedKernels()
  recheck?: boolean; // run the self-check even when an outcome is cached (bench.html's "Check kernels")
  subgroups?: boolean; // false: the fused reductions keep to shared memory even where the device has subgroups
  now?: () => number;
}

export function adapterName(a: AdapterReport | undefined): string {
  return (a && [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' · ')) || 'unnamed adapter';
}

/** The cache key: the adapter, what compiles for it, and the code under check. */
export function adapterKey(a: AdapterReport | undefined, runtime: string, version: string): string {
  const id = a ? [a.vendor, a.architecture, a.device, a.description].join('|') : '';
  return `${id} | ${runtime} | tfjs ${tf.version.tfjs} | engine ${version}`;
}

const stamp = (t: number) => `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

async function runCheck(report: BackendReport, deps: KernelChoiceDeps, key: string | null) {
  const checks = await (deps.check ?? (() => checkFusedKernels()))();
  const record: KernelCheckRecord = {
    key: key ?? '',
    adapter: adapterName(report.adapter),
    checkedAt: (deps.now ?? Date.now)(),
    cases: checks.length,
    failing: checks.filter((c) => !c.pass).map((c) => ({ kernel: c.kernel, detail: describeCheck(c) })),
  };
  if (key) await deps.cache.put(record);
  return record;
}

type Decision = Omit<KernelChoice, 'subgroups'>;

const stock = (mode: KernelMode, summary: string): Decision => ({
  mode,
  path: 'stock',
  summary,
  failing: [],
  checkedAt: null,
  cached: false,
});

/** The check's outcome as a choice reports it, and its mismatch in words (null: every case passed). */
function outcome(r: KernelCheckRecord, cached: boolean) {
  const failing = r.failing.map((f) => f.kernel);
  const seen = `on this adapter (${cached ? `cached result from ${stamp(r.checkedAt)}` : 'checked now'})`;
  const mismatch = failing.length ? `the kernel self-check found a mismatch in ${failing.join('; ')} ${seen}` : null;
  return { fields: { failing, checkedAt: r.checkedAt, cached }, mismatch, seen };
}

/** mode fused on WebGPU: fused, saying what the cached check (if any) found. */
function forced(r: KernelCheckRecord | undefined): Decision {
  const base = { mode: 'fused' as const, path: 'fused' as const, failing: [], checkedAt: null, cached: false };
  if (!r) return { ...base, summary: 'fused WebGPU kernels, as chosen; the self-check has not run on this adapter' };
  const o = outcome(r, true);
  const why = o.mismatch ? `although ${o.mismatch}` : `the kernel self-check passed ${o.seen}`;
  return { ...base, ...o.fields, summary: `fused WebGPU kernels, as chosen; ${why}` };
}

/** Every mismatch is a reduction's subgroup run: the same kernels without subgroups passed. */
const onlySubgroupRuns = (failing: string[]) => failing.length > 0 && failing.every((k) => k.endsWith(WITH_SUBGROUPS));

async function decide(mode: KernelMode, report: BackendReport, deps: KernelChoiceDeps): Promise<Decision> {
  if (mode === 'stock') return stock(mode, 'stock tfjs ops, as chosen');
  if (report.name !== 'webgpu')
    return stock(mode, `stock tfjs ops: the backend is ${report.name}, and the fused kernels are WebGPU programs`);
  const key = deps.version === null ? null : adapterKey(report.adapter, deps.runtime, deps.version);
  const cached = key && !(mode === 'auto' && deps.recheck) ? await deps.cache.get(key) : undefined;
  if (mode === 'fused') return forced(cached);
  let record = cached;
  if (!record) {
    try {
      record = await runCheck(report, deps, key);
    } catch (e) {
      return stock(mode, `stock tfjs ops: the kernel self-check could not run (${(e as Error).message})`);
    }
  }
  const o = outcome(record, cached !== undefined);
  if (o.mismatch && !onlySubgroupRuns(o.fields.failing))
    return { mode, path: 'stock', summary: `stock tfjs ops: ${o.mismatch}`, ...o.fields };
  const summary = o.mismatch
    ? `fused WebGPU kernels, their reductions without subgroups: ${o.mismatch}`
    : `fused WebGPU kernels: all ${record.cases} cases passed the kernel self-check ${o.seen}`;
  return { mode, path: 'fused', summary, ...o.fields };
}

/** Decides the kernel path for this backend and turns the fused switch on or off to match. */
export async function selectKernels(
  mode: KernelMode,
  report: BackendReport,
  deps: KernelChoiceDeps,
): Promise<KernelChoice> {
  const d = await decide(mode, report, deps);
  const usable = d.path === 'fused' && report.subgroups === true;
  const subgroups = usable && deps.subgroups !== false && !d.failing.some((k) => k.endsWith(WITH_SUBGROUPS));
  switchFusedKernels(d.path === 'fused');
  switchSubgroups(subgroups);
  const said = subgroups
    ? '; reductions by subgroups'
    : usable && deps.subgroups === false
      ? '; no subgroups, as chosen'
      : '';
  return { ...d, summary: d.summary + said, subgroups };
}

/** A cache that lives as long as the process (tests, and storage that failed to open). */
export const memoryKernelCheckCache = (): KernelCheckCache => memoryCache<KernelCheckRecord>();

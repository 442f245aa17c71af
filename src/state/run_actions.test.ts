// The Train page's run actions against the real run host (WASM, nano) standing in for each tab's worker, one
// in-memory LabStore shared by the tabs as IndexedDB is, and a stand-in for Web Locks shared by them. A "tab"
// is a fresh copy of the state modules (a reload is a new one; the locks of a closed tab are let go).
// Must hold:
//  - 15.1: a start the worker refuses or fails — a GRPO category the world has no pairs of, an odd
//    promptsPerStep with bothOrders, too few GRPO pairs, no traced pair left to distil, a start checkpoint that
//    does not decode — leaves the page usable (not live, no control in flight, the next start runs to done)
//    and the run "failed" with the worker's message, on the page and in storage;
//  - 15.3: a run live in tab A is not marked interrupted by a tab opened or reloaded meanwhile, which lists it
//    as running in another tab and can neither delete nor resume it; when A finishes it stays done, and when
//    A closes mid-run it is marked interrupted;
//  - 15.4: after a reload mid-run the run resumes from its snapshot and finishes: every SFT step logged once,
//    the record done, its metrics on the same step axis.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { switchTestBackend } from '../engine/test_backends';
import type { LabStore } from '../train/lab_store';
import { applyOverrides, RUN_DEFAULTS, type RunConfig } from '../train/run_config';
import type { WorkerEvent } from '../worker/protocol';
import { createRunHost, type RunHost } from '../worker/run_host';
import { createLockStandIn } from './test_locks';

const shared = vi.hoisted(() => ({ host: null as null | RunHost, store: null as null | LabStore }));
vi.mock('../worker/client', () => ({ getEngine: () => shared.host }));
vi.mock('./lab', async () => {
  const { createMemoryStore } = await import('../train/lab_store');
  const store = async () => (shared.store ??= createMemoryStore());
  return { labStore: store, getLab: async () => ({ store: await store(), warning: null }) };
});

const locks = createLockStandIn();

/** A tab: fresh state modules with their own worker, sharing storage and locks with the other tabs. */
async function openTab(name: string) {
  vi.resetModules();
  const actions = await import('./run_actions');
  const library = await import('./library_actions');
  const { useAppStore } = await import('./store');
  (await import('./run_lock')).setLockManager(locks.tab(name));
  const host = createRunHost((e: WorkerEvent) => {
    if (e.kind === 'run') void actions.applyRunEvent(e);
    if (e.kind === 'run-status') void actions.applyRunStatus(e);
  });
  /** Calls into this tab: its worker is the engine while they run. */
  const inTab = async <T>(work: () => Promise<T>): Promise<T> => {
    shared.host = host;
    return work();
  };
  return { ...actions, ...library, host, inTab, get: useAppStore.getState, setState: useAppStore.setState };
}
type Tab = Awaited<ReturnType<typeof openTab>>;

const storedRun = async (id: string) => (await shared.store!.getRun(id))!;

/** Waits until the tab's run has the status, and is no longer loaded once ended (events are booked as they
 * come: the record says done with the last step's events, the worker's status follows). */
const until = (tab: Tab, status: string) =>
  vi.waitFor(
    () => {
      const s = tab.get();
      if (s.run?.status !== status || (status === 'done' && s.live))
        throw new Error(`status ${s.run?.status} (live: ${s.live}), waiting for ${status}`);
    },
    { timeout: 100_000, interval: 20 },
  );

const small = applyOverrides(RUN_DEFAULTS, {
  preset: 'nano',
  stage: 'sft',
  checkpointEvery: '2',
  'world.nDistill': '24', // 16 to train on: 4 steps per epoch
  'world.nGrpo': '8',
  'world.nEval': '1',
  'sft.epochs': '2',
  'sft.batchSize': '4',
  'grpo.steps': '2',
  'grpo.numGenerations': '2',
  'grpo.promptsPerStep': '2',
  'grpo.maxCompletionLength': '6',
  'eval.maxCompletionLength': '6',
  'eval.batchSize': '4',
});

/** Starts a run in the tab with these settings and pauses it as soon as it plays. */
async function startPaused(tab: Tab, draft: RunConfig) {
  tab.setState({ draft });
  await tab.inTab(() => tab.startRun());
  tab.pause();
  await until(tab, 'paused');
  return tab.get().run!.id;
}

describe('run actions (nano, WASM, a memory store shared by tabs)', () => {
  beforeAll(() => switchTestBackend('wasm'));

  it('issue 15.1: a start the worker refuses leaves the page usable, the run failed with the reason', async () => {
    const tab = await openTab('15.1');
    async function expectRefused(draft: RunConfig, message: RegExp, init: string | null = null) {
      tab.setState({ draft });
      tab.setInitCheckpoint(init);
      await tab.inTab(() => tab.startRun());
      const s = tab.get();
      expect(s.live, 'the page is not left with a run it cannot control').toBe(false);
      expect(s.controlInFlight).toBe(false);
      expect(s.run?.status).toBe('failed');
      expect(s.run?.error).toMatch(message);
      expect(s.runError).toMatch(message);
      const stored = await storedRun(s.run!.id);
      expect(stored.status, 'storage says failed, not created, nor interrupted after a reload').toBe('failed');
      expect(stored.error).toMatch(message);
    }
    const both = (o: Record<string, string>) => applyOverrides(small, { stage: 'both', ...o });
    await expectRefused(
      both({ 'world.reasoningTasks': 'muladd', 'grpo.categories': 'reasoning/count' }),
      /grpo\.categories: no GRPO pair is in "reasoning\/count"/,
    );
    await expectRefused(both({ 'grpo.promptsPerStep': '3' }), /even number of prompts per step, got 3/);
    await expectRefused(both({ 'world.nGrpo': '1' }), /GRPO needs at least 2 labelled A\/B pairs, got [01]/);
    await expectRefused(applyOverrides(small, { 'world.nDistill': '8' }), /no traced pair to distil/);

    const garbage = { 'config.json': new TextEncoder().encode('{"oops'), 'model.safetensors': new Uint8Array(8) };
    const meta = { id: 'bad', name: 'bad', runId: null, source: 'import' as const, createdAt: 1, step: null };
    await shared.store!.putCheckpoint(
      { ...meta, phase: null, bytes: 0, parameters: 0, summary: '' },
      { ...garbage, 'tokenizer.json': new Uint8Array(0) },
    );
    await expectRefused(small, /config\.json: not valid JSON/, 'bad');

    tab.setState({ draft: small });
    tab.setInitCheckpoint(null);
    await tab.inTab(() => tab.startRun());
    expect(tab.get().runError).toBeNull();
    await until(tab, 'done');
    expect(tab.get().live).toBe(false);
  });

  it('issue 15.3: another tab leaves a live run alone (not interrupted, deleted, resumed) until it ends', async () => {
    const a = await openTab('A');
    const id = await startPaused(a, small);
    const b = await openTab('B');
    await b.markInterruptedRuns();
    expect((await storedRun(id)).status, 'opening tab B does not interrupt A').toBe('paused');
    expect(b.get().runsElsewhere).toEqual([id]);
    await b.deleteRun(id);
    expect(b.get().libraryError).toMatch(/running in another tab/);
    expect(await shared.store!.getRun(id)).not.toBeNull();
    await b.inTab(() => b.resumeRun(id));
    expect(b.get().runError).toMatch(/running in another tab/);
    expect(b.get().live).toBe(false);
    const reloaded = await openTab('B, reloaded');
    await reloaded.markInterruptedRuns();
    expect((await storedRun(id)).status, 'reloading B does not interrupt A').toBe('paused');

    await a.inTab(() => a.play()); // A goes on to the end and lets go of the run
    expect(a.get().run?.status).toBe('done');
    await vi.waitFor(() => expect(b.get().runsElsewhere).toEqual([]));
    expect((await storedRun(id)).status).toBe('done');

    const a2 = await openTab('A2');
    const left = await startPaused(a2, small);
    await b.markInterruptedRuns();
    expect(b.get().runsElsewhere).toEqual([left]);
    locks.closeTab('A2'); // the tab closes mid-run: the browser lets go of its lock
    await vi.waitFor(async () => expect((await storedRun(left)).status).toBe('interrupted'));
    await vi.waitFor(() => expect(b.get().runsElsewhere).toEqual([]));
  });

  it('issue 15.4: after a reload mid-run, Resume goes on from the snapshot to the end, each step once', async () => {
    const before = await openTab('before reload');
    before.setState({ draft: small });
    await before.inTab(() => before.startRun());
    await vi.waitFor(() => expect(before.get().metrics.length).toBeGreaterThanOrEqual(5), { timeout: 100_000 });
    before.pause(); // the page is reloaded here: its worker is gone
    await until(before, 'paused');
    const id = before.get().run!.id;
    const logged = before.get().metrics.length; // steps 1..5 or more: 'latest' checkpoints at 2 and 4
    locks.closeTab('before reload');

    const after = await openTab('after reload');
    await after.markInterruptedRuns();
    expect((await storedRun(id)).status).toBe('interrupted');
    expect((await storedRun(id)).resumeFrom).toMatchObject({ phase: 'sft' });
    await after.inTab(() => after.resumeRun(id));
    expect(after.get().runError).toBeNull();
    await until(after, 'done');
    const steps = (await shared.store!.metrics(id)).filter((r) => r.stage === 'sft').map((r) => r.step);
    expect(steps, `each SFT step once (${logged} were logged before the reload)`).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(
      after
        .get()
        .metrics.filter((r) => r.stage === 'sft')
        .map((r) => r.step),
    ).toEqual(steps);
    expect(await storedRun(id)).toMatchObject({ status: 'done', error: null, phase: 'done' });
  });
});

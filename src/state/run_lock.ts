// One tab owns a run while it lives: it holds the run's Web Lock (navigator.locks, one lock per run id) from
// start or resume until the run ends, and the browser lets go of it when the tab closes. Another tab takes a
// run for interrupted only while holding that lock; while it cannot have it, the run is live in another tab
// (shown read-only: not deleted, not resumed). Without Web Locks (old browsers) every lock is free and tabs
// are not kept apart, as before. Tests hand in a stand-in lock manager (`setLockManager`).

/** The part of the Web Locks API used here: exclusive locks, `ifAvailable` or queued. */
export interface LockManagerLike {
  request<T>(name: string, options: { ifAvailable?: boolean }, callback: (lock: unknown) => Promise<T>): Promise<T>;
}

let manager: LockManagerLike | null = (globalThis.navigator?.locks as LockManagerLike | undefined) ?? null;

/** Another lock manager (tests: a stand-in shared by two "tabs"); null: none, every lock free. */
export function setLockManager(m: LockManagerLike | null): void {
  manager = m;
}

const lockName = (runId: string) => `rubric-lab/run/${runId}`;

/** Takes the run's lock for this tab: resolves with its release, or null when another tab holds it. */
export function claimRun(runId: string): Promise<(() => void) | null> {
  if (!manager) return Promise.resolve(() => {});
  const m = manager;
  return new Promise((resolve, reject) => {
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    m.request(lockName(runId), { ifAvailable: true }, async (lock) => {
      if (!lock) return resolve(null);
      resolve(release);
      await held; // the lock is held until the callback's promise settles
    }).catch(reject);
  });
}

/** Runs `work` holding the run's lock if no tab holds it; false (and nothing run) when one does. */
export async function ifRunFree(runId: string, work: () => Promise<void>): Promise<boolean> {
  if (!manager) {
    await work();
    return true;
  }
  return manager.request(lockName(runId), { ifAvailable: true }, async (lock) => {
    if (!lock) return false;
    await work();
    return true;
  });
}

/** Waits until no tab holds the run's lock, then runs `work` holding it. */
export async function whenRunFree(runId: string, work: () => Promise<void>): Promise<void> {
  if (!manager) return work();
  await manager.request(lockName(runId), {}, () => work());
}

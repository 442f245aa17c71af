// Test helper: an in-memory stand-in for the Web Locks API as run_lock.ts uses it — exclusive locks, taken at
// once or not at all with `ifAvailable`, else queued — shared by several "tabs" of one test. `closeTab` lets
// go of every lock a tab holds, as the browser does when a tab closes.
import type { LockManagerLike } from './run_lock';

export function createLockStandIn() {
  const holders = new Map<string, string>(); // lock name → the tab holding it
  const waiting = new Map<string, { id: string; granted: () => void }[]>();
  /** The next waiting request of `name` holds it from now (no other request can slip in before it runs). */
  const handOn = (name: string) => {
    const next = waiting.get(name)?.shift();
    if (!next) return;
    holders.set(name, next.id);
    next.granted();
  };

  const tab = (id: string): LockManagerLike => ({
    async request(name, options, callback) {
      if (!holders.has(name)) holders.set(name, id);
      else if (options.ifAvailable) return callback(null);
      else await new Promise<void>((granted) => waiting.set(name, [...(waiting.get(name) ?? []), { id, granted }]));
      try {
        return await callback({ name, mode: 'exclusive' });
      } finally {
        if (holders.get(name) === id) {
          holders.delete(name);
          handOn(name);
        }
      }
    },
  });

  function closeTab(id: string): void {
    for (const [name, holder] of [...holders])
      if (holder === id) {
        holders.delete(name);
        handOn(name);
      }
  }

  return { tab, closeTab, held: () => [...holders.keys()] };
}

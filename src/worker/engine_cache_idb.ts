// The engine's caches in a browser worker (engine/keyed_cache.ts), in one small IndexedDB database shared by
// the lab's engine worker and the bench page's: the kernel self-check's outcome per adapter, and the backends'
// measured step times per adapter and model. So the check and the measurement run once per adapter, browser
// and build. A development build never caches the kernel check (its engine changes under it).
import { openDB } from 'idb';
import type { KernelChoiceDeps } from '../engine/kernel_choice';
import type { KeyedCache } from '../engine/keyed_cache';

// The engine's source hash, written into the build by vite.config.ts (engine/engine_version_node.ts).
declare const __ENGINE_VERSION__: string;

const DB_NAME = 'rubric-lab-engine-cache';
const STORES = ['kernel-checks', 'backend-timings'] as const;
type Store = (typeof STORES)[number];

let db: ReturnType<typeof openDB> | null = null;
const open = () => {
  db ??= openDB(DB_NAME, 1, {
    upgrade: (d) => {
      for (const s of STORES) d.createObjectStore(s, { keyPath: 'key' });
    },
  });
  return db;
};

/** One store of the database as a keyed cache. No storage (a private window, a blocked origin): nothing is
 * kept, and the measurement runs at every start. */
export function idbCache<R extends { key: string }>(store: Store): KeyedCache<R> {
  return {
    get: async (key) => {
      try {
        return (await (await open()).get(store, key)) as R | undefined;
      } catch {
        return undefined;
      }
    },
    put: async (record) => {
      try {
        await (await open()).put(store, record);
      } catch {
        // as above
      }
    },
  };
}

/** This build's engine version; null in a development build, whose engine changes under it. */
export const engineVersion = (): string | null => (import.meta.env.DEV ? null : __ENGINE_VERSION__);

/** What a worker's selectKernels needs: the cache, this build's engine version, and the browser. */
export function browserKernelDeps(): KernelChoiceDeps {
  return { cache: idbCache('kernel-checks'), version: engineVersion(), runtime: navigator.userAgent };
}

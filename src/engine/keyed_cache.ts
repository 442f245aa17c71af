// What the engine measures once per device and keeps: the kernel self-check's outcome (kernel_choice.ts) and
// the backends' step times (backend_choice.ts), as records by key. One interface, three homes: memory
// (tests, storage that failed to open), a JSON file in Node (keyed_cache_node.ts), IndexedDB in a browser
// worker (worker/engine_cache_idb.ts). A cache only: a lost or unreadable record means measuring again.

export interface KeyedCache<R extends { key: string }> {
  get(key: string): Promise<R | undefined>;
  put(record: R): Promise<void>;
}

/** A cache that lives as long as the process. */
export function memoryCache<R extends { key: string }>(): KeyedCache<R> {
  const records = new Map<string, R>();
  return {
    get: async (key) => records.get(key),
    put: async (r) => {
      records.set(r.key, r);
    },
  };
}

// Node only: a keyed cache (keyed_cache.ts) in one JSON file outside the repository's tracked files
// (node_modules/.cache/rubric-lab/<name>.json), written whole through a temporary file so a crash never
// leaves half a file. The CLIs keep the kernel self-check's outcomes and the backends' step times here.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KeyedCache } from './keyed_cache';

const CACHE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules', '.cache', 'rubric-lab');

/** The file of one cache by name, e.g. 'kernel-checks'. */
export const cacheFile = (name: string): string => join(CACHE_DIR, `${name}.json`);

function readRecords<R>(file: string): Record<string, R> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, R>;
  } catch {
    return {}; // missing or unreadable: a cache, so the measurement just runs again
  }
}

/** Records in one JSON object by key. */
export function fileCache<R extends { key: string }>(file: string): KeyedCache<R> {
  return {
    get: async (key) => readRecords<R>(file)[key],
    put: async (record) => {
      const records = { ...readRecords<R>(file), [record.key]: record };
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(`${file}.tmp`, JSON.stringify(records, null, 2));
      renameSync(`${file}.tmp`, file);
    },
  };
}

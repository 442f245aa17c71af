// Test helpers (Node only): read the small fixtures beside this file and the real data files kept outside
// the repo in ../shared/data. Leaves out any parsing; tests pass the text to the importers.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The repo's sibling folder of real data files: <repo>/../shared/data. */
export const SHARED_DATA = path.resolve(here, '../../../../shared/data');

export function readFixture(name: string): string {
  return readFileSync(path.join(here, 'fixtures', name), 'utf8');
}

/** A real data file's text, or undefined (with the reason printed) when it is absent here. */
export function readSharedData(rel: string): string | undefined {
  const file = path.join(SHARED_DATA, rel);
  if (existsSync(file)) return readFileSync(file, 'utf8');
  console.log(`skipping the real-data test: ${file} is absent (real files live in ../shared/data beside the repo)`);
  return undefined;
}

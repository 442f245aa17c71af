// Node only: the engine code's version, a hash of its sources (src/engine, tests left out). The kernel
// self-check's cached outcome is keyed by it (kernel_choice.ts), so any change to a kernel, the model or
// the check itself runs the check again. The app's build gets the same value (vite.config.ts's define).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ENGINE_DIR = dirname(fileURLToPath(import.meta.url));

/** Every non-test .ts file under dir, sorted, as paths relative to it. */
function sources(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return sources(path, base);
      return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [relative(base, path)] : [];
    })
    .sort();
}

/** 16 hex digits of SHA-256 over the engine's source paths and contents. */
export function engineSourceVersion(dir = ENGINE_DIR): string {
  const h = createHash('sha256');
  for (const f of sources(dir))
    h.update(`${f}\n`)
      .update(readFileSync(join(dir, f)))
      .update('\n');
  return h.digest('hex').slice(0, 16);
}

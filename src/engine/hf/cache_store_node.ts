// The model cache's files in a Node folder (the CLIs; the tests). Small files are replaced through a
// temporary file and a rename, so a crash never leaves half a manifest. Node only (node:fs).
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CacheStore } from './cache_store';

const absent = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

export function nodeCacheStore(root: string): CacheStore {
  const abs = (path: string) => join(root, ...path.split('/'));
  let temps = 0;
  return {
    where: root,
    async readText(path) {
      try {
        return await readFile(abs(path), 'utf8');
      } catch (e) {
        if (absent(e)) return null;
        throw e;
      }
    },
    async writeText(path, text) {
      await mkdir(dirname(abs(path)), { recursive: true });
      const temp = `${abs(path)}.${process.pid}.${temps++}.tmp`;
      await writeFile(temp, text);
      await rename(temp, abs(path));
    },
    async size(path) {
      try {
        return (await stat(abs(path))).size;
      } catch (e) {
        if (absent(e)) return null;
        throw e;
      }
    },
    async read(path, start, end) {
      const file = await open(abs(path), 'r');
      try {
        const out = new Uint8Array(end - start);
        let done = 0;
        while (done < out.length) {
          const { bytesRead } = await file.read(out, done, out.length - done, start + done);
          if (bytesRead === 0) throw new Error(`${abs(path)}: ended before byte ${end}`);
          done += bytesRead;
        }
        return out;
      } finally {
        await file.close();
      }
    },
    async append(path, truncate) {
      await mkdir(dirname(abs(path)), { recursive: true });
      const file = await open(abs(path), truncate ? 'w' : 'a');
      return {
        write: async (chunk) => {
          for (let done = 0; done < chunk.length; )
            done += (await file.write(chunk, done, chunk.length - done)).bytesWritten;
        },
        close: () => file.close(),
      };
    },
    async move(from, to) {
      await mkdir(dirname(abs(to)), { recursive: true });
      await rename(abs(from), abs(to));
    },
    async list(dir) {
      try {
        return (await readdir(abs(dir), { withFileTypes: true })).map((d) => ({ name: d.name, dir: d.isDirectory() }));
      } catch (e) {
        if (absent(e)) return [];
        throw e;
      }
    },
    async remove(path) {
      await rm(abs(path), { recursive: true, force: true });
    },
  };
}

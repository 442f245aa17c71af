// The shipped judges' static files as the page reads them. Must hold: they are fetched under the app's base
// URL; a missing file is named, whether the server says 404 or answers with the app's own page (a
// single-page server's fallback); a broken file is refused with the checkpoint decoder's message; a
// failure is not remembered (a later call tries again) and a success is (one fetch per file per page);
// shipped ids and stored ids are told apart; the examples are held-out pairs of the shipped run's world.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CHECKPOINT_FILES } from '../engine/checkpoint';
import { heldOutPairs } from '../train/judge_card';
import {
  BUILTIN_JUDGES,
  builtinFiles,
  EXAMPLES_PER_CATEGORY,
  isBuiltin,
  SHIPPED_DISTILLED,
  SHIPPED_JUDGE,
  setStaticReader,
  shippedInfo,
} from './builtin_judges';

const readPublic = (path: string) => readFile(join('public', path)).then((b) => new Uint8Array(b));

/** A fetch that serves public/ (or answers `missing` paths as a single-page server would). */
function stubFetch(missing: (url: string) => 'html' | 404 | null) {
  const urls: string[] = [];
  const fetch = vi.fn(async (url: string) => {
    urls.push(url);
    const why = missing(url);
    if (why === 404) return new Response('no', { status: 404 });
    if (why === 'html') return new Response('<!doctype html>', { headers: { 'content-type': 'text/html' } });
    return new Response(await readPublic(url.replace(/^\//, '')));
  });
  vi.stubGlobal('fetch', fetch);
  return urls;
}

describe('shipped judges', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('fetches the three files under the base URL, once per page', async () => {
    const urls = stubFetch(() => null);
    setStaticReader();
    const files = await builtinFiles(SHIPPED_JUDGE);
    expect(Object.keys(files).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expect(urls).toEqual(CHECKPOINT_FILES.map((name) => `/judges/tiny/judge/${name}`));
    await builtinFiles(SHIPPED_JUDGE);
    expect(urls).toHaveLength(3);
  });

  it("names a missing file, whether 404 or the app's own page; a failure is tried again", async () => {
    let mode: 'html' | 404 | null = 'html';
    stubFetch((url) => (url.endsWith('tokenizer.json') ? mode : null));
    setStaticReader();
    await expect(builtinFiles(SHIPPED_DISTILLED)).rejects.toThrow(
      'Could not load the shipped tiny judge, distilled only from judges/tiny/distilled: ' +
        '/judges/tiny/distilled/tokenizer.json: not found',
    );
    mode = 404;
    await expect(builtinFiles(SHIPPED_DISTILLED)).rejects.toThrow(/tokenizer.json: HTTP 404/);
    mode = null;
    await expect(builtinFiles(SHIPPED_DISTILLED)).resolves.toHaveProperty('tokenizer.json');
  });

  it("refuses a broken file with the decoder's message", async () => {
    setStaticReader(async (path) => (path.endsWith('model.safetensors') ? new Uint8Array(12) : readPublic(path)));
    await expect(builtinFiles(SHIPPED_JUDGE)).rejects.toThrow(
      /Could not load the shipped tiny judge .*: model.safetensors: header is not valid JSON/,
    );
    await expect(builtinFiles('builtin:nope')).rejects.toThrow('no shipped judge "builtin:nope"');
  });

  it('tells shipped ids from stored ones; examples are held-out pairs of the shipped run, by category', async () => {
    expect(BUILTIN_JUDGES.every((b) => isBuiltin(b.id))).toBe(true);
    expect(isBuiltin('run-2025-01-01-sft')).toBe(false);
    setStaticReader(readPublic);
    const { run, examples } = await shippedInfo();
    const heldOut = new Set(heldOutPairs(run).map((p) => p.id));
    expect(examples.every((p) => heldOut.has(p.id))).toBe(true);
    for (const c of ['chat', 'chat-hard', 'safety', 'reasoning'])
      expect(examples.filter((p) => p.category === c)).toHaveLength(EXAMPLES_PER_CATEGORY);
  });
});

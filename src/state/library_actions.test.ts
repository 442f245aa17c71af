// What must hold for a refused checkpoint import: it reads "Import refused: …" with the reason (it once read
// "Saving failed: import refused: …", as if storage had failed), and nothing is stored.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStore, type LabStore } from '../train/lab_store';

const lab = vi.hoisted(() => ({ store: null as unknown as LabStore }));
vi.mock('./lab', () => ({ labStore: async () => lab.store }));

const { useAppStore, resetStore } = await import('./store');
const { importCheckpoint } = await import('./library_actions');

const bytes = (text: string) => new TextEncoder().encode(text);

beforeEach(() => {
  lab.store = createMemoryStore();
  resetStore();
});

describe('importCheckpoint refusals', () => {
  it('"Saving failed: import refused": a missing file is an import refused, naming the file', async () => {
    await importCheckpoint([{ name: 'config.json', bytes: bytes('{}') }], 'mine');
    const error = useAppStore.getState().libraryError;
    expect(error).toMatch(/^Import refused: pick exactly one model\.safetensors \(none picked\)/);
    expect(await lab.store.listCheckpoints()).toEqual([]);
  });

  it('"Saving failed: import refused": files that do not decode are refused with the decoder\'s reason', async () => {
    const files = ['config.json', 'model.safetensors', 'tokenizer.json'].map((name) => ({ name, bytes: bytes('x') }));
    await importCheckpoint(files, 'mine');
    const error = useAppStore.getState().libraryError ?? '';
    expect(error).toMatch(/^Import refused: \S/);
    expect(error).not.toMatch(/Saving failed|import refused/);
    expect(await lab.store.listCheckpoints()).toEqual([]);
  });
});

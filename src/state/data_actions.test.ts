// What must hold for the Data page's actions, against an in-memory LabStore: importing a malformed file
// yields the per-line report and saves nothing until kept; keep saves exactly the valid pairs and browses
// them; reject saves nothing; a file that is not JSON is refused with a named problem; a full quota
// reports StorageFullError's message and keeps both the pending pairs and the datasets already stored;
// the generator refuses a bad form, saves a valid one as source 'synthetic', and reports the world's
// failure; the browser lets go of a dataset deleted elsewhere and reloads one saved again (my-labels).
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStore, StorageFullError, type DatasetMeta } from '../train/lab_store';
import type { Pair } from '../rm/pair';

// hoisted above the imports, so it imports what it needs itself
const lab = await vi.hoisted(async () => ({ store: (await import('../train/lab_store')).createMemoryStore() }));
vi.mock('./lab', () => ({ labStore: async () => lab.store }));

const { useAppStore, resetStore } = await import('./store');
const A = await import('./data_actions');
const { refreshLibrary } = await import('./library_actions');
const { setGenField } = A;

const get = useAppStore.getState;
const rb = (id: number) =>
  JSON.stringify({ prompt: `q${id}`, chosen: 'good', rejected: 'bad', subset: 'alpacaeval-easy', id });
const MALFORMED = [
  rb(1),
  rb(2),
  'this is not json',
  JSON.stringify({ prompt: 'q4', rejected: 'bad', id: 4 }),
  rb(5),
].join('\n');
const file = (name: string, text: string) => ({ name, size: text.length, text: async () => text });

beforeEach(async () => {
  lab.store = createMemoryStore();
  resetStore();
  await refreshLibrary();
});

describe('import', () => {
  it('reports bad lines with reasons, then keeps exactly the valid pairs under the chosen name', async () => {
    await A.importFile(file('reward-bench.jsonl', MALFORMED));
    const d = get().dataImport!;
    expect(d.phase).toBe('report');
    expect(d.name).toBe('reward-bench');
    expect(d.report).toMatchObject({ format: 'rewardbench', records: 5, pairs: 3, badRecords: 2 });
    expect(d.report!.errors.map((e) => [e.line, /invalid JSON|missing field "chosen"/.test(e.reason)])).toEqual([
      [3, true],
      [4, true],
    ]);
    expect(await lab.store.listDatasets()).toEqual([]); // nothing saved before the user decides

    A.setImportName('  my rb  ');
    await A.keepImport();
    expect(get().dataImport).toBeNull();
    const [meta] = get().datasets;
    expect(meta).toMatchObject({ name: 'my rb', source: 'import', format: 'rewardbench', count: 3 });
    expect(get().dataSelectedId).toBe(meta.id);
    expect(get().dataPairs.map((p) => p.id)).toEqual(['rewardbench:1', 'rewardbench:2', 'rewardbench:5']);
  });

  it('rejecting the file saves nothing', async () => {
    await A.importFile(file('x.jsonl', MALFORMED));
    A.rejectImport();
    expect(get().dataImport).toBeNull();
    expect(await lab.store.listDatasets()).toEqual([]);
  });

  it('refuses a file that is not JSON with a headline naming the problem, and saves nothing', async () => {
    await A.importFile(file('notes.txt', 'dear diary\ntoday I trained a judge\n'));
    expect(get().dataImport).toBeNull();
    expect(get().dataImportFailure?.title).toBe('notes.txt is not JSON or JSONL: no line parses as a JSON record.');
    expect(await lab.store.listDatasets()).toEqual([]);
  });

  it(
    "a full quota shows StorageFullError's message and " + 'loses nothing: pending pairs and stored datasets stay',
    async () => {
      await A.importFile(file('first.jsonl', rb(1)));
      await A.keepImport();
      expect(get().datasets).toHaveLength(1);

      const put = vi.spyOn(lab.store, 'putDataset').mockRejectedValue(new StorageFullError('dataset "second"'));
      await A.importFile(file('second.jsonl', MALFORMED));
      await A.keepImport();
      expect(get().libraryError).toMatch(/^Storage is full: could not save dataset "second"/);
      expect(get().dataImport).toMatchObject({ phase: 'report', name: 'second' });
      expect(get().dataImport!.saveError).toBe(get().libraryError);
      expect(get().dataImport!.pairs).toHaveLength(3);
      expect((await lab.store.listDatasets()).map((d) => d.name)).toEqual(['first']);

      put.mockRestore(); // space was freed: the same pending import saves on the next try
      await A.keepImport();
      expect(get().libraryError).toBeNull();
      expect((await lab.store.listDatasets()).map((d) => d.count).sort()).toEqual([1, 3]);
    },
  );
});

describe('generator', () => {
  it('does nothing on a bad form', async () => {
    setGenField('n', '0');
    await A.generateDataset();
    expect(await lab.store.listDatasets()).toEqual([]);
  });

  it("saves a valid form as a synthetic dataset with n pairs carrying the oracle's truth, and browses it", async () => {
    setGenField('n', '40');
    setGenField('seed', '3');
    await A.generateDataset();
    expect(get().datasets[0]).toMatchObject({ name: 'synthetic seed 3 · 40 pairs', source: 'synthetic', count: 40 });
    expect(get().dataPairs).toHaveLength(40);
    expect(get().dataPairs.every((p) => p.source === 'synthetic' && p.meta?.truth)).toBe(true);
    expect(get().dataGenBusy).toBe(false);
  });

  it('reports the world running out of new prompts and saves nothing', async () => {
    for (const [k, v] of Object.entries({ 'mix.chat': '0', 'mix.chat-hard': '0', 'mix.reasoning': '0', n: '5000' }))
      setGenField(k, v);
    await A.generateDataset();
    expect(get().dataGenError).toMatch(/^Not generated: world: no new safety prompt/);
    expect(await lab.store.listDatasets()).toEqual([]);
  });
});

describe('browsing', () => {
  const labels = (n: number, updatedAt: number): [DatasetMeta, Pair[]] => [
    { id: 'my-labels', name: 'my labels', source: 'labels', format: null, createdAt: 1, updatedAt, count: n },
    Array.from({ length: n }, (_, i) => ({
      id: `label:${i}`,
      prompt: `p${i}`,
      a: 'a',
      b: 'b',
      winner: 'A' as const,
      source: 'labels',
    })),
  ];

  it('reloads a dataset saved again elsewhere (keeping the filter) and lets go of a deleted one', async () => {
    await lab.store.putDataset(...labels(2, 10));
    await refreshLibrary();
    await A.selectDataset('my-labels');
    A.setFilter({ text: 'p1' });
    expect(get().dataPairs).toHaveLength(2);

    await lab.store.putDataset(...labels(3, 20)); // the Judge page adds a label
    await refreshLibrary();
    await A.syncWithLibrary();
    expect(get().dataPairs).toHaveLength(3);
    expect(get().dataFilter.text).toBe('p1');

    await A.removeDataset('my-labels');
    expect(get().dataSelectedId).toBeNull();
    expect(get().dataPairs).toEqual([]);
  });

  it('a later selection wins over a slower earlier load', async () => {
    await lab.store.putDataset(...labels(2, 10));
    await lab.store.putDataset({ ...labels(1, 10)[0], id: 'other' }, labels(5, 10)[1]);
    await refreshLibrary();
    const read = lab.store.datasetPairs.bind(lab.store);
    vi.spyOn(lab.store, 'datasetPairs').mockImplementation(async (id) => {
      if (id === 'my-labels') await new Promise((r) => setTimeout(r, 30)); // the first read is the slow one
      return read(id);
    });
    const first = A.selectDataset('my-labels');
    const second = A.selectDataset('other');
    await Promise.all([first, second]);
    expect(get().dataSelectedId).toBe('other');
    expect(get().dataPairs).toHaveLength(5);
  });
});

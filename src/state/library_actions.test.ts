// What must hold for a refused checkpoint import: it reads "Import refused: …" with the reason (it once read
// "Saving failed: import refused: …", as if storage had failed), and nothing is stored. A LoRA run checkpoint's
// adapter downloads as PEFT's two files under PEFT's own names; a checkpoint without one says so.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStore, type LabStore } from '../train/lab_store';

const lab = vi.hoisted(() => ({ store: null as unknown as LabStore }));
vi.mock('./lab', () => ({ labStore: async () => lab.store }));

const { useAppStore, resetStore } = await import('./store');
const { downloadAdapter, importCheckpoint } = await import('./library_actions');

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

describe('downloadAdapter', () => {
  it("hands over adapter/'s two files as adapter_config.json and adapter_model.safetensors", async () => {
    const clicked: { name: string; blob: Blob }[] = [];
    const urls = new Map<string, Blob>();
    const createObjectURL = (b: Blob) => {
      urls.set(`u${urls.size}`, b);
      return `u${urls.size - 1}`;
    };
    vi.stubGlobal('URL', { createObjectURL, revokeObjectURL: () => undefined });
    vi.stubGlobal('document', {
      createElement: () => ({
        click(this: { href: string; download: string }) {
          clicked.push({ name: this.download, blob: urls.get(this.href)! });
        },
      }),
    });
    const files = {
      'config.json': bytes('{}'),
      'adapter/adapter_config.json': bytes('{"peft_type": "LORA"}'),
      'adapter/adapter_model.safetensors': bytes('weights'),
    };
    const meta = { name: 'grpo', runId: 'r', source: 'run' as const, createdAt: 0, step: 1, phase: null };
    await lab.store.putCheckpoint({ ...meta, id: 'r-grpo', bytes: 0, parameters: 0, summary: '' }, files);
    await downloadAdapter('r-grpo');
    expect(clicked.map((c) => c.name)).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    expect(await clicked[0].blob.text()).toBe('{"peft_type": "LORA"}');
    expect(await clicked[1].blob.text()).toBe('weights');

    const { 'adapter/adapter_model.safetensors': _, ...full } = files;
    await lab.store.putCheckpoint({ ...meta, id: 'r-full', bytes: 0, parameters: 0, summary: '' }, full);
    await downloadAdapter('r-full');
    expect(clicked).toHaveLength(2);
    expect(useAppStore.getState().libraryError).toMatch(/r-full holds no adapter/);
    vi.unstubAllGlobals();
  });
});

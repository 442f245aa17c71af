// Actions on what storage holds: refresh the lists and the space used, delete, compare runs, and move
// checkpoints in and out as files (config.json, model.safetensors, tokenizer.json), and a LoRA run checkpoint's
// PEFT adapter out.
import { CHECKPOINT_FILES, type CheckpointFiles } from '../engine/checkpoint';
import { CHECKPOINT_ADAPTER_FILES } from '../engine/hf/peft';
import { StorageFullError } from '../train/lab_store';
import { checkpointMeta } from '../train/run_recorder';
import { errorMessage, guardCall } from './call_guard';
import { labStore } from './lab';
import { ifRunFree } from './run_lock';
import { useAppStore } from './store';

const set = useAppStore.setState;
const get = useAppStore.getState;

export async function refreshLibrary(): Promise<void> {
  const store = await labStore();
  const [runs, checkpoints, datasets, usage] = await Promise.all([
    store.listRuns(),
    store.listCheckpoints(),
    store.listDatasets(),
    store.usage(),
  ]);
  set({ runs, checkpoints, datasets, usage });
}

/** Files that are not a checkpoint: refused before anything is written (not a failed save). */
class ImportRefused extends Error {}

/** A failed write: a full quota gets its own message (what to delete); a refused import says so; anything else
 * is shown as is. */
const storageErrorMessage = (e: unknown) =>
  e instanceof StorageFullError
    ? e.message
    : e instanceof ImportRefused
      ? `Import refused: ${e.message}`
      : `Saving failed: ${errorMessage(e)}`;

export const reportStorageError = (e: unknown) => set({ libraryError: storageErrorMessage(e) });

/** A storage call; its failure becomes the library's error line, and the lists are read again either way. */
const guarded = (work: () => Promise<void>) =>
  guardCall({ error: 'libraryError', message: storageErrorMessage, finally: refreshLibrary }, work);

export const deleteRun = (id: string) =>
  guarded(async () => {
    if (get().live && get().run?.id === id) throw new Error('this run is loaded; stop it first');
    const store = await labStore();
    // holding the run's lock: a tab running it holds that lock (run_lock.ts), so it is never deleted under it
    const deleted = await ifRunFree(id, () => store.deleteRun(id));
    if (!deleted) throw new Error('this run is running in another tab; stop it there first');
    set((s) => ({
      compare: s.compare.filter((x) => x !== id),
      ...(s.run?.id === id ? { run: null, metrics: [], reports: [], storedSteps: [] } : {}),
    }));
  });

export const deleteCheckpoint = (id: string) =>
  guarded(async () => {
    await (await labStore()).deleteCheckpoint(id);
  });

export const deleteDataset = (id: string) =>
  guarded(async () => {
    await (await labStore()).deleteDataset(id);
  });

/** Adds or removes a run from the comparison chart, loading its metrics once. */
export async function toggleCompare(id: string): Promise<void> {
  const s = get();
  if (s.compare.includes(id)) return set({ compare: s.compare.filter((x) => x !== id) });
  const rows = s.compareMetrics[id] ?? (await (await labStore()).metrics(id));
  set((x) => ({ compare: [...x.compare, id], compareMetrics: { ...x.compareMetrics, [id]: rows } }));
}

/** Hands each file of a checkpoint to the browser as a download, named `<checkpoint>-<file>`. */
export async function exportCheckpoint(id: string): Promise<void> {
  const files = await (await labStore()).checkpointFiles(id);
  if (!files) return set({ libraryError: `Checkpoint ${id} is no longer in storage` });
  for (const name of CHECKPOINT_FILES) download(files[name], `${id}-${name}`);
}

/** Hands a LoRA run checkpoint's PEFT adapter to the browser as two downloads under PEFT's own names
 * (adapter_config.json, adapter_model.safetensors), so PeftModel.from_pretrained and the Judge page read them. */
export async function downloadAdapter(id: string): Promise<void> {
  const files = await (await labStore()).checkpointFiles(id);
  if (!files) return set({ libraryError: `Checkpoint ${id} is no longer in storage` });
  if (!CHECKPOINT_ADAPTER_FILES.every((f) => files[f]))
    return set({ libraryError: `Checkpoint ${id} holds no adapter (only LoRA runs' checkpoints do)` });
  for (const path of CHECKPOINT_ADAPTER_FILES) download(files[path], path.slice(path.lastIndexOf('/') + 1));
}

function download(bytes: Uint8Array, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart]));
  Object.assign(document.createElement('a'), { href: url, download: name }).click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Imports a checkpoint from the three files (any names ending in config.json, model.safetensors and
 * tokenizer.json, so exported `<id>-<file>` names work). Validated before it is stored; a bad file is
 * refused with the decoder's message naming the tensor or field.
 */
export function importCheckpoint(picked: { name: string; bytes: Uint8Array }[], name: string): Promise<void> {
  return guarded(async () => {
    const files: CheckpointFiles = {};
    for (const want of CHECKPOINT_FILES) {
      const hit = picked.filter((f) => f.name === want || f.name.endsWith(`-${want}`) || f.name.endsWith(`_${want}`));
      if (hit.length !== 1)
        throw new ImportRefused(
          `pick exactly one ${want} (${hit.length ? `got ${hit.length}` : 'none picked'}); choose ` +
            `config.json, model.safetensors and tokenizer.json together`,
        );
      files[want] = hit[0].bytes;
    }
    const id = `import-${Date.now()}`;
    let meta: ReturnType<typeof checkpointMeta>;
    try {
      meta = checkpointMeta(files, {
        id,
        name,
        runId: null,
        source: 'import',
        createdAt: Date.now(),
        step: null,
        phase: null,
      });
    } catch (e) {
      throw new ImportRefused(errorMessage(e));
    }
    await (await labStore()).putCheckpoint(meta, files);
  });
}

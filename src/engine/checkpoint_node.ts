// Node only: a checkpoint's files (see checkpoint.ts) as a folder on disk. Each file is written to a
// temporary name and renamed, so an interrupted save leaves the previous file whole.
// Leaves out listing and deleting checkpoints (the storage layer does that).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CHECKPOINT_FILES, type CheckpointFiles } from './checkpoint';
import { CHECKPOINT_ADAPTER_DIR, CHECKPOINT_ADAPTER_FILES } from './hf/peft';
import { TOKENIZER_FILES } from './hf/tokenizer';

export async function saveCheckpointDir(dir: string, files: CheckpointFiles): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) {
    // a LoRA run's adapter sits in its own subfolder (hf/peft.ts); nothing else may name a path
    const inAdapter = CHECKPOINT_ADAPTER_FILES.includes(name);
    if (name !== path.basename(name) && !inAdapter)
      throw new Error(`saveCheckpointDir: file name "${name}" must not contain a path`);
    if (inAdapter) await mkdir(path.join(dir, CHECKPOINT_ADAPTER_DIR), { recursive: true });
    const target = path.join(dir, name);
    await writeFile(`${target}.tmp`, bytes);
    await rename(`${target}.tmp`, target);
  }
}

/** Reads config.json, model.safetensors and tokenizer.json from `dir`, and a real model's other tokenizer files
 * where there are any (a checkpoint trained from one carries them) and a LoRA run's adapter/ folder;
 * decodeCheckpoint or modelFromFiles validate them. */
export async function loadCheckpointDir(dir: string): Promise<CheckpointFiles> {
  const files: CheckpointFiles = {};
  for (const name of [...TOKENIZER_FILES, ...CHECKPOINT_ADAPTER_FILES]) {
    const bytes = await readFile(path.join(dir, name)).catch(() => null);
    if (bytes) files[name] = new Uint8Array(bytes);
  }
  for (const name of CHECKPOINT_FILES) {
    try {
      files[name] = new Uint8Array(await readFile(path.join(dir, name)));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(
        code === 'ENOENT'
          ? `checkpoint folder ${dir} has no ${name}`
          : `cannot read ${path.join(dir, name)}: ${(e as Error).message}`,
      );
    }
  }
  return files;
}

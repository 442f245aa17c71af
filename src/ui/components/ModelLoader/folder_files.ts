// A folder the user gave, as its files with their paths inside it, from each of the three ways a browser
// gives one: a `webkitdirectory` input, the directory picker (showDirectoryPicker, where there is one), or a
// folder dropped on the page. Dot folders (.git) are skipped.
import { withinFolder } from '../../../engine/hf/source';

export interface PickedFolder {
  name: string;
  files: { path: string; file: File }[];
}

const hidden = (path: string) => path.split('/').some((p) => p.startsWith('.'));

/** The files of a `webkitdirectory` input (their webkitRelativePath starts with the folder's name). */
export function folderFromInput(list: FileList): PickedFolder {
  const all = [...list];
  const name = all[0]?.webkitRelativePath.split('/')[0] || 'folder';
  const files = all
    .map((file) => ({ path: withinFolder(file.webkitRelativePath || file.name), file }))
    .filter((f) => !hidden(f.path));
  return { name, files };
}

type DirHandle = FileSystemDirectoryHandle & AsyncIterable<[string, FileSystemHandle]>;

async function walkHandle(dir: DirHandle, prefix: string, out: PickedFolder['files']): Promise<void> {
  for await (const [name, handle] of dir) {
    if (name.startsWith('.')) continue;
    const path = prefix ? `${prefix}/${name}` : name;
    if (handle.kind === 'directory') await walkHandle(handle as DirHandle, path, out);
    else out.push({ path, file: await (handle as FileSystemFileHandle).getFile() });
  }
}

/** Whether this browser has the directory picker (Chromium does; others give the input instead). */
export const hasDirectoryPicker = () =>
  typeof (globalThis as { showDirectoryPicker?: unknown }).showDirectoryPicker === 'function';

/** Asks for a folder with the directory picker; null when the user closes it. */
export async function folderFromPicker(): Promise<PickedFolder | null> {
  const pick = (globalThis as unknown as { showDirectoryPicker: () => Promise<DirHandle> }).showDirectoryPicker;
  let dir: DirHandle;
  try {
    dir = await pick();
  } catch (e) {
    if ((e as DOMException).name === 'AbortError') return null;
    throw e;
  }
  const files: PickedFolder['files'] = [];
  await walkHandle(dir, '', files);
  return { name: dir.name, files };
}

const readEntries = (reader: FileSystemDirectoryReader) =>
  new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
const entryFile = (entry: FileSystemFileEntry) => new Promise<File>((resolve, reject) => entry.file(resolve, reject));

async function walkEntry(dir: FileSystemDirectoryEntry, prefix: string, out: PickedFolder['files']): Promise<void> {
  const reader = dir.createReader();
  // readEntries gives a batch at a time (100 in Chromium) until an empty one
  for (let batch = await readEntries(reader); batch.length; batch = await readEntries(reader)) {
    for (const entry of batch) {
      if (entry.name.startsWith('.')) continue;
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory) await walkEntry(entry as FileSystemDirectoryEntry, path, out);
      else out.push({ path, file: await entryFile(entry as FileSystemFileEntry) });
    }
  }
}

/** The folder dropped on the page, or null when what was dropped is not one folder. */
export async function folderFromDrop(data: DataTransfer): Promise<PickedFolder | null> {
  const entries = [...data.items].map((item) => item.webkitGetAsEntry()).filter((e) => e !== null);
  if (entries.length !== 1 || !entries[0].isDirectory) return null;
  const files: PickedFolder['files'] = [];
  await walkEntry(entries[0] as FileSystemDirectoryEntry, '', files);
  return { name: entries[0].name, files };
}

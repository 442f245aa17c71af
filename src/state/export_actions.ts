// The Runs page's export of a stored run for TRL or verl: the same files as `npm run export`, zipped into
// one download (`<run>-<target>.zip`, one folder inside). The export code is loaded on first use, so the
// page does not carry it. A refusal (its dataset gone or changed) becomes the library's error line.
import { strToU8, zipSync, type Zippable } from 'fflate';
import type { Target } from '../train/export/targets';
import { guardCall } from './call_guard';
import { labStore } from './lab';

const UNIX = 3; // the zip "made by" system whose file modes unzip honours
const EXECUTABLE = 0o100755 << 16;
const REGULAR = 0o100644 << 16;

export function exportRun(runId: string, target: Target): Promise<void> {
  return guardCall({ error: 'libraryError' }, async () => {
    const store = await labStore();
    const run = await store.getRun(runId);
    if (!run) throw new Error(`Run ${runId} is no longer in storage`);
    const { buildExport } = await import('../train/export/export');
    const files = await buildExport(run, target, store);
    const folder = `${runId}-${target}`;
    const zip: Zippable = Object.fromEntries(
      files.map((f) => [
        `${folder}/${f.path}`,
        [strToU8(f.text), { os: UNIX, attrs: f.path.endsWith('.sh') ? EXECUTABLE : REGULAR }],
      ]),
    );
    const url = URL.createObjectURL(new Blob([zipSync(zip) as BlobPart], { type: 'application/zip' }));
    Object.assign(document.createElement('a'), { href: url, download: `${folder}.zip` }).click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
}

// A run exported for a cluster trainer: `buildExport` gives the files (data, reward.py, settings, launcher,
// README.md, manifest.json) as path + text; scripts/export.ts writes them to a folder and the Runs page
// zips them. Leaves out the PEFT adapter or merged checkpoint the cluster run starts from.
import type { RunRecord } from '../lab_store';
import { applyOverrides, diffFromDefaults, RUN_DEFAULTS } from '../run_config';
import { type ExportFile, manifestFile, sftFiles } from './files';
import { readme } from './readme';
import { rewardPy } from './reward_py';
import { runData, type DatasetSource } from './run_data';
import type { Target } from './targets';
import { trlFiles } from './trl';
import { verlFiles } from './verl';

export type { ExportFile } from './files';
export { TARGETS } from './targets';

/** Every file of the run's export for `target`; throws naming the run when its data cannot be rebuilt. */
export async function buildExport(stored: RunRecord, target: Target, datasets: DatasetSource): Promise<ExportFile[]> {
  // a config saved by an older version lacks newer settings: they take their defaults, as when it was run
  const run = { ...stored, config: applyOverrides(RUN_DEFAULTS, diffFromDefaults(stored.config)) };
  const data = await runData(run, datasets);
  const files = [
    ...(target === 'trl' ? trlFiles(run, data) : verlFiles(run, data)),
    ...sftFiles(data),
    { path: 'reward.py', text: rewardPy() },
    { path: 'README.md', text: readme(target, run, data) },
  ];
  return [...files, manifestFile(run, target, data, files)];
}

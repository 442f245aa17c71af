// `npm run export -- --run DIR --to trl|verl --out DIR` (`--help` lists the flags)
// Writes what TRL or verl reads to train the run's GRPO stage on a multi-GPU machine, from the run folder's
// own record and settings (src/train/export/): the GRPO data, the distillation traces, reward.py, the
// settings as the trainer's keys with a launcher, README.md and manifest.json. The pairs are rebuilt from
// the run's world (or dataset) and checked against the run's record of them; a changed source is refused.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { buildExport, TARGETS } from '../src/train/export/export';
import { createFileStore } from '../src/train/lab_store_node';
import { choice, required } from '../src/train/settings';
import { exitWithMessageOnError, parseCli, pathFlag } from './cli_util';

exitWithMessageOnError();

const { flags: f } = parseCli(process.argv.slice(2), {
  usage: 'npm run export -- --run DIR --to trl|verl --out DIR',
  flags: {
    run: required(pathFlag('The run folder (run.json, config.json, ...), e.g. runs/2026-01-01T00-00-00-000Z.')),
    to: required(choice(TARGETS, 'The trainer: trl (GRPOTrainer, accelerate) or verl (main_ppo, Ray).')),
    out: required(pathFlag('A new or empty folder to write the export to.')),
  },
});

const runDir = resolve(f.run);
if (!existsSync(join(runDir, 'run.json'))) throw new Error(`${f.run}: no run.json there (is it a run folder?)`);
if (existsSync(f.out) && readdirSync(f.out).length > 0)
  throw new Error(`${f.out} is not empty: pick a new folder (nothing there is overwritten)`);
const store = createFileStore(dirname(runDir));
const run = await store.getRun(basename(runDir));
if (!run) throw new Error(`${f.run}: run.json could not be read as a run`);

const files = await buildExport(run, f.to, store);
for (const file of files) {
  const path = join(f.out, ...file.path.split('/'));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, file.text, { mode: file.path.endsWith('.sh') ? 0o755 : 0o644 });
}
console.log(`${run.id} for ${f.to}: ${files.length} files in ${f.out}`);
for (const file of files) console.log(`  ${file.path} (${Buffer.byteLength(file.text)} bytes)`);
console.log(
  `next: ${f.to === 'trl' ? 'accelerate launch train_grpo.py --model ...' : 'MODEL=... bash run_grpo.sh'} (README.md)`,
);

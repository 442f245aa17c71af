// `npm run ship-judge -- --run DIR [--name tiny] [--subset 48] [--out public/judges]`
// Packages a training run's two checkpoints for the app to open with: checkpoints/sft as `distilled/` and
// checkpoints/grpo as `judge/` (config.json, model.safetensors stored as F16, tokenizer.json), the run's
// config.json beside them, and card.json: the command, the settings, and the held-out accuracy of each as
// shipped (f16 weights), measured with the training's own evaluation (both A/B orders, greedy) on the run's
// whole held-out set and on the fixed subset the card test re-measures (train/judge_card.ts). Prints the
// table MODEL_CARD.md must hold.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCheckpoint, modelFromFiles, type CheckpointFiles } from '../src/engine/checkpoint';
import { loadCheckpointDir, saveCheckpointDir } from '../src/engine/checkpoint_node';
import { initNodeBackend } from '../src/engine/node_webgpu';
import { writeSafetensors } from '../src/engine/safetensors';
import type { Pair } from '../src/rm/pair';
import { evaluate } from '../src/train/evaluate';
import {
  type CardCheckpoint,
  type CardFigures,
  cardTable,
  figuresOf,
  heldOutPairs,
  type JudgeCard,
  subsetOf,
  trainCommand,
} from '../src/train/judge_card';
import { diffFromDefaults } from '../src/train/run_config';
import { int, required, text, withDefault } from '../src/train/settings';
import { exitWithMessageOnError, parseCli, progress, savedRunConfig } from './cli_util';

exitWithMessageOnError();

const { flags: f } = parseCli(process.argv.slice(2), {
  usage: 'npm run ship-judge -- --run DIR [--name tiny] [--subset 48] [--out public/judges]',
  flags: {
    run: required(text("The training run's folder (npm run train's --out), with checkpoints/sft and grpo.")),
    name: withDefault(text('The shipped family: public/judges/<name>/.'), 'tiny'),
    // 48 pairs = 96 judgements, one evaluation batch: a few seconds per checkpoint in the test suite
    subset: withDefault(int(4, 1000, 'Held-out pairs the card test re-measures (a quarter per category).'), 48),
    out: withDefault(text('The static folder the app serves judges from.'), join('public', 'judges')),
  },
});
const out = join(f.out, f.name);
const nSubset = f.subset;
const name = f.name;
const backend = await initNodeBackend('wasm');
const saved = savedRunConfig(join(f.run, 'checkpoints', 'sft'));
if (!saved) throw new Error(`${f.run} has no config.json: --run takes a run folder (npm run train's --out)`);
const run = saved.run;
const pairs = heldOutPairs(run);
const subset = subsetOf(pairs, nSubset);
console.log(`${backend.summary}\nheld-out: ${pairs.length} pairs of the run's world; test subset: ${subset.length}`);

/** The checkpoint's files with the weights stored as F16 (config and tokenizer unchanged). */
function asF16(files: CheckpointFiles): CheckpointFiles {
  const ckpt = decodeCheckpoint(files);
  return { ...files, 'model.safetensors': writeSafetensors(ckpt.tensors, { format: 'pt' }, 'F16') };
}

async function measure(files: CheckpointFiles, judged: Pair[], label: string): Promise<CardFigures> {
  const { params, cfg, tok } = modelFromFiles(files);
  const start = performance.now();
  const report = await evaluate(params, cfg, tok, judged, {
    ...run.eval,
    seed: run.seed,
    onProgress: (d, n) => progress(label, d, n, start),
  });
  for (const p of Object.values(params)) p.dispose();
  return figuresOf(report);
}

function asTrained(stage: 'sft' | 'grpo'): CardFigures | null {
  const path = join(f.run, `eval-${stage}.json`);
  return existsSync(path) ? figuresOf(JSON.parse(readFileSync(path, 'utf8'))) : null;
}

const checkpoints: CardCheckpoint[] = [];
for (const [stage, dir] of [
  ['sft', 'distilled'],
  ['grpo', 'judge'],
] as const) {
  const files = asF16(await loadCheckpointDir(join(f.run, 'checkpoints', stage)));
  await saveCheckpointDir(join(out, dir), files);
  const { tensors } = decodeCheckpoint(files);
  checkpoints.push({
    dir,
    stage,
    parameters: Object.values(tensors).reduce((n, t) => n + t.data.length, 0),
    bytes: Object.values(files).reduce((n, b) => n + b.byteLength, 0),
    asTrained: asTrained(stage),
    asShipped: await measure(files, pairs, `${dir} held-out`),
    subset: await measure(files, subset, `${dir} subset`),
  });
}

writeFileSync(join(out, 'config.json'), `${JSON.stringify(run, null, 2)}\n`);
const card: JudgeCard = {
  version: 1,
  name,
  command: trainCommand(run),
  changed: diffFromDefaults(run),
  seed: run.seed,
  heldOutPairs: pairs.length,
  subsetPairs: subset.length,
  backend: backend.name,
  checkpoints,
};
writeFileSync(join(out, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
console.log(
  `wrote ${out}/{distilled,judge}/, config.json and card.json\n\nMODEL_CARD.md's table:\n\n${cardTable(card)}`,
);
process.exit(0);

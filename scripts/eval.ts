// `npm run eval -- --checkpoint DIR --data FILE|synthetic [--samples N] [--n 300] [--seed 1] [--world.<knob> v] [--out
// FILE] [--backend wasm]`
// Judges every pair in both A/B orders (greedy, or N samples with majority vote) and prints accuracy
// per category/subset, RewardBench sections, RM-Bench difficulty, position consistency and unparseable
// rate; writes the results JSON in RewardBench's shape. `synthetic` draws the held-out pairs of the
// checkpoint's own run (its config.json, two folders up), so a run's figures can be reproduced.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { initNodeBackend } from '../src/engine/node_webgpu';
import { importDataset } from '../src/rm/importers';
import type { Pair } from '../src/rm/pair';
import { EVAL_DEFAULTS, evaluate } from '../src/train/evaluate';
import { exitWithMessageOnError, heldOutWorld, loadCheckpoint, parseFlags, progress } from './cli_util';

exitWithMessageOnError();

const f = parseFlags(process.argv.slice(2));
if (!f.checkpoint || !f.data) {
  console.error(
    'usage: npm run eval -- --checkpoint DIR --data FILE|synthetic [--samples N] [--n 300] [--out results.json]',
  );
  process.exit(2);
}
await initNodeBackend((f.backend ?? 'wasm') as 'wasm');
const { params, cfg, tok } = await loadCheckpoint(f.checkpoint);
let pairs: Pair[];
if (f.data === 'synthetic') {
  const world = heldOutWorld(f.checkpoint, f, Number(f.n ?? 300));
  pairs = world.pairs;
  console.log(`synthetic: ${pairs.length} held-out pairs of ${world.from}`);
} else {
  const r = importDataset(readFileSync(f.data, 'utf8'), basename(f.data), {
    onError: f['reject-bad'] ? 'reject' : 'skip',
  });
  console.log(
    `${f.data}: ${r.format}, ${r.pairs.length} pairs, ${r.errors.length} bad records ` +
      `skipped${r.errors.length ? ` (first: line ${r.errors[0].line}: ${r.errors[0].reason})` : ''}`,
  );
  pairs = f.n ? r.pairs.slice(0, Number(f.n)) : r.pairs;
}
const start = performance.now();
const rep = await evaluate(
  params,
  cfg,
  tok,
  pairs,
  {
    ...EVAL_DEFAULTS,
    samples: Number(f.samples ?? 1),
    seed: Number(f.seed ?? 1),
    onProgress: (d, n) => progress('eval', d, n, start),
  },
  basename(f.checkpoint),
);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
console.log(
  `overall ${pct(rep.overall.accuracy)} of ${rep.overall.total} judgements (each pair in both A/B orders; ties ` +
    `skipped), position-consistent ${pct(rep.positionConsistency)}, unparseable ${pct(rep.unparseableRate)}`,
);
if (rep.tiedVotes)
  console.log(
    `  ${rep.tiedVotes} of ${rep.overall.total} votes tied (${rep.samples} samples): counted wrong; as half ` +
      `right, overall would be ${pct((rep.overall.correct + rep.tiedVotes / 2) / rep.overall.total)}`,
  );
for (const [name, table] of [
  ['category', rep.perCategory],
  ['subset', rep.perSubset],
  ['difficulty', rep.perDifficulty],
] as const) {
  for (const [k, a] of Object.entries(table))
    console.log(`  ${name} ${k}: ${a.correct}/${a.total} (${pct(a.accuracy)})`);
}
if (rep.rewardBenchSections) console.log('RewardBench sections:', rep.rewardBenchSections);
const out = f.out ?? 'eval-results.json';
writeFileSync(out, JSON.stringify(rep, null, 2));
console.log(`wrote ${out}`);
process.exit(0);

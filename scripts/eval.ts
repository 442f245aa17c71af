// `npm run eval -- --model DIR|hf:owner/name[@rev] --data FILE|synthetic [--samples N] [--n 300] [--seed 1]
// [--world.<knob> v] [--max-new-tokens K] [--out FILE] [--backend wasm]` (`--help` lists every flag with its
// range and default)
// Judges every pair in both A/B orders (greedy, or N samples with majority vote) and prints accuracy
// per category/subset, RewardBench sections, RM-Bench difficulty, position consistency and unparseable
// rate; writes the results JSON in RewardBench's shape. `synthetic` draws the held-out pairs of the
// checkpoint's own run (its config.json, two folders up), so a run's figures can be reproduced. A Hugging Face
// instruct model (a folder or the Hub) is evaluated zero-shot: it reads RM-R1's instruct prompt through its chat
// template. `--checkpoint` is the older name of `--model`.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { initNodeBackend } from '../src/engine/node_webgpu';
import { importDataset } from '../src/rm/importers';
import type { Pair } from '../src/rm/pair';
import { EVAL_DEFAULTS, evaluate } from '../src/train/evaluate';
import { ruleOf, RUN_DEFAULTS } from '../src/train/run_config';
import { bool, int, required, withDefault } from '../src/train/settings';
import {
  BACKEND_FLAG,
  exitWithMessageOnError,
  heldOutWorld,
  loadModelArg,
  MODEL_FLAGS,
  modelArg,
  parseCli,
  pathFlag,
  progress,
  worldSetting,
} from './cli_util';
import { relaunchForWebGPU } from './gpu_driver';

exitWithMessageOnError();

const { flags: f, run } = parseCli(process.argv.slice(2), {
  usage:
    'npm run eval -- --model DIR|hf:owner/name[@rev] --data FILE|synthetic [--samples N] [--n 300] ' +
    '[--out results.json]',
  flags: {
    ...MODEL_FLAGS,
    data: required(
      pathFlag('A dataset file (JSON or JSONL, any importer format), or synthetic: the held-out pairs of the run.'),
    ),
    samples: withDefault(ruleOf('eval.samples'), EVAL_DEFAULTS.samples),
    'max-new-tokens': withDefault(ruleOf('eval.maxCompletionLength'), EVAL_DEFAULTS.maxCompletionLength),
    n: int(
      1,
      100_000,
      `Pairs to judge: the first n of a file (default all), or n held-out synthetic pairs ` +
        `(default ${RUN_DEFAULTS.world.nEval}).`,
    ),
    out: withDefault(pathFlag('Where to write the results JSON.'), 'eval-results.json'),
    'reject-bad': withDefault(bool('Refuse a file with bad records instead of skipping them.'), false),
    backend: BACKEND_FLAG,
  },
  runSettings: worldSetting,
});
const judge = modelArg(f);
await relaunchForWebGPU(f.backend === 'webgpu');
const backend = await initNodeBackend(f.backend);
const { params, cfg, tok } = await loadModelArg(judge, {
  report: backend,
  deviceGiB: f['device-memory'],
  weights: f.weights,
  maxNewTokens: f['max-new-tokens'],
});
let pairs: Pair[];
if (f.data === 'synthetic') {
  const world = heldOutWorld(judge.arg, run, f.n ?? RUN_DEFAULTS.world.nEval);
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
  pairs = f.n ? r.pairs.slice(0, f.n) : r.pairs;
}
const start = performance.now();
const rep = await evaluate(
  params,
  cfg,
  tok,
  pairs,
  {
    ...EVAL_DEFAULTS,
    samples: f.samples,
    maxCompletionLength: f['max-new-tokens'],
    seed: run.seed === undefined ? EVAL_DEFAULTS.seed : Number(run.seed),
    onProgress: (d, n) => progress('eval', d, n, start),
  },
  basename(judge.arg),
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
const out = f.out;
writeFileSync(out, JSON.stringify(rep, null, 2));
console.log(`wrote ${out}`);
process.exit(0);

// `npm run diagnose -- --model DIR|hf:owner/name[@rev] [--samples 6] [--n 300] [--seed 1] [--world.<knob> v]
// [--out FILE] [--show K] [--backend wasm]` (`--help` lists every flag with its range and default)
// Where a judge's traces depart from the oracle's on the held-out synthetic pairs of its run (first order):
// per category and subset, how often the head (rubric or worked solution), the observations, the ok/no
// marks and the verdict are right, whether the verdict follows the judge's own checks, and — over G
// sampled judgements per pair — what GRPO's ±1 reward sees: P(verdict right | head right), P(verdict
// right | head wrong) and the reward gap between them, and how many pairs give mixed rewards.
import { writeFileSync } from 'node:fs';
import { initNodeBackend } from '../src/engine/node_webgpu';
import type { Count, DiagnosisSummary } from '../src/rm/trace_diagnosis';
import { DIAGNOSE_DEFAULTS, diagnoseJudge } from '../src/train/diagnose';
import { RUN_DEFAULTS } from '../src/train/run_config';
import { int, withDefault } from '../src/train/settings';
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
    'npm run diagnose -- --model DIR|hf:owner/name[@rev] [--samples 6] [--n 300] [--out diagnosis.json] [--show K]',
  flags: {
    ...MODEL_FLAGS,
    samples: withDefault(
      int(1, 64, "G: judgements per pair, sampled at the run's GRPO temperature; 1 = greedy."),
      DIAGNOSE_DEFAULTS.samples,
    ),
    n: withDefault(int(1, 20_000, 'Held-out synthetic pairs to diagnose.'), RUN_DEFAULTS.world.nEval),
    out: withDefault(pathFlag('Where to write the report JSON.'), 'diagnosis.json'),
    show: withDefault(int(0, 1000, 'Print this many example traces with their diagnosis.'), 0),
    backend: BACKEND_FLAG,
  },
  runSettings: worldSetting,
});
const judge = modelArg(f);
await relaunchForWebGPU(f.backend === 'webgpu');
const world = heldOutWorld(judge.arg, run, f.n);
const backend = await initNodeBackend(f.backend);
const { params, cfg, tok } = await loadModelArg(judge, {
  report: backend,
  deviceGiB: f['device-memory'],
  weights: f.weights,
  maxNewTokens: world.run.grpo.maxCompletionLength,
});
const samples = f.samples;
console.log(
  `${world.pairs.length} held-out pairs of ${world.from}; ` +
    (samples === 1 ? 'greedy' : `${samples} samples per pair at τ = ${world.run.grpo.temperature}`) +
    (world.run.noRubric ? '; no-rubric traces' : ''),
);
const start = performance.now();
const rep = await diagnoseJudge(params, cfg, tok, world.pairs, {
  ...DIAGNOSE_DEFAULTS,
  samples,
  temperature: world.run.grpo.temperature,
  maxCompletionLength: world.run.grpo.maxCompletionLength,
  seed: run.seed === undefined ? DIAGNOSE_DEFAULTS.seed : Number(run.seed),
  oracle: { noRubric: world.run.noRubric },
  onProgress: (d, n) => progress('diagnose', d, n, start),
});

const pct = (c: Count) => (c.n ? `${Math.round((100 * c.k) / c.n)}` : '–');
const gap = (g: number | null) => (g === null ? '–' : g.toFixed(2));
const columns: [string, number][] = [
  ['', 20],
  ['n', 5],
  ['head', 4],
  ['obs', 4],
  ['ok/no', 5],
  ['verdict', 7],
  ['follows', 7],
  ['v|head✓', 7],
  ['v|head✗', 7],
  ['gap', 5],
  ['v|obs✓', 6],
  ['v|obs✗', 6],
  ['gap', 5],
  ['mixed', 7],
];
const line = (cells: string[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(columns[0][1]) : c.padStart(columns[i][1]))).join(' ');
const row = (name: string, s: DiagnosisSummary) =>
  line([
    name,
    String(s.judgements),
    pct(s.headRight),
    pct(s.observationsRight),
    pct(s.judgementsRight),
    pct(s.verdictRight),
    pct(s.followsOwnChecks),
    pct(s.verdictGivenHeadRight),
    pct(s.verdictGivenHeadWrong),
    gap(s.rewardGap),
    pct(s.verdictGivenObservationsRight),
    pct(s.verdictGivenObservationsWrong),
    gap(s.observationGap),
    `${s.pairsMixedReward}/${s.pairs}`,
  ]);
console.log(
  `\n% right against the oracle (head: rubric or solution exactly; obs: what a check observed; follows: the verdict`,
);
console.log(
  `names the response its own checks leave standing; v|head✓/✗: verdict right given a right/wrong head, v|obs✓/✗:`,
);
console.log(
  `given all observations right / any wrong; gap: E[reward | ✓] − E[reward | ✗], reward ±1; mixed: pairs whose`,
);
console.log(`judgements got both rewards)\n`);
console.log(line(columns.map(([c]) => c)));
console.log(row('all', rep.overall));
for (const [k, s] of Object.entries(rep.perCategory)) console.log(row(k, s));
for (const [k, s] of Object.entries(rep.perSubset)) console.log(row(`  ${k}`, s));
for (const e of rep.examples.slice(0, f.show))
  console.log(`\n${e.id} (${e.subset ?? e.category}): ${e.trace}\n  ${JSON.stringify(e.diagnosis)}`);
const out = f.out;
writeFileSync(out, JSON.stringify(rep, null, 2));
console.log(`\nwrote ${out}`);
process.exit(0);

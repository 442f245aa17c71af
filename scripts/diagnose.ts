// `npm run diagnose -- --checkpoint DIR [--samples 6] [--n 300] [--seed 1] [--world.<knob> v] [--out FILE] [--show K] [--backend wasm]`
// Where a judge's traces depart from the oracle's on the held-out synthetic pairs of its run (first order):
// per category and subset, how often the head (rubric or worked solution), the observations, the ok/no
// marks and the verdict are right, whether the verdict follows the judge's own checks, and — over G
// sampled judgements per pair — what GRPO's ±1 reward sees: P(verdict right | head right), P(verdict
// right | head wrong) and the reward gap between them, and how many pairs give mixed rewards.
import { writeFileSync } from 'node:fs';
import { initNodeBackend } from '../src/engine/node_webgpu';
import type { Count, DiagnosisSummary } from '../src/rm/trace_diagnosis';
import { DIAGNOSE_DEFAULTS, diagnoseJudge } from '../src/train/diagnose';
import { exitWithMessageOnError, heldOutWorld, loadCheckpoint, parseFlags, progress } from './cli_util';

exitWithMessageOnError();

const f = parseFlags(process.argv.slice(2));
if (!f.checkpoint) {
  console.error('usage: npm run diagnose -- --checkpoint DIR [--samples 6] [--n 300] [--out diagnosis.json] [--show K]');
  process.exit(2);
}
await initNodeBackend((f.backend ?? 'wasm') as 'wasm');
const { params, cfg, tok } = await loadCheckpoint(f.checkpoint);
const world = heldOutWorld(f.checkpoint, f, Number(f.n ?? 300));
const samples = Number(f.samples ?? DIAGNOSE_DEFAULTS.samples);
if (!Number.isInteger(samples) || samples < 1) throw new Error(`--samples must be a whole number ≥ 1 (got "${f.samples}")`);
console.log(`${world.pairs.length} held-out pairs of ${world.from}; ${samples === 1 ? 'greedy' : `${samples} samples per pair at τ = ${world.run.grpo.temperature}`}${world.run.noRubric ? '; no-rubric traces' : ''}`);
const start = performance.now();
const rep = await diagnoseJudge(params, cfg, tok, world.pairs, {
  ...DIAGNOSE_DEFAULTS, samples, temperature: world.run.grpo.temperature, maxCompletionLength: world.run.grpo.maxCompletionLength,
  seed: Number(f.seed ?? 1), oracle: { noRubric: world.run.noRubric }, onProgress: (d, n) => progress('diagnose', d, n, start),
});

const pct = (c: Count) => (c.n ? `${Math.round((100 * c.k) / c.n)}`.padStart(4) : '   –');
const cols = ['', 'n', 'head', 'obs', 'ok/no', 'verdict', 'follows', 'v|head✓', 'v|head✗', 'gap', 'v|obs✓', 'v|obs✗', 'gap', 'mixed'];
const gap = (g: number | null) => (g === null ? '–' : g.toFixed(2)).padStart(5);
const row = (name: string, s: DiagnosisSummary) => [
  name.padEnd(20), String(s.judgements).padStart(5), pct(s.headRight), pct(s.observationsRight), pct(s.judgementsRight).padStart(5),
  pct(s.verdictRight).padStart(7), pct(s.followsOwnChecks).padStart(7), pct(s.verdictGivenHeadRight).padStart(7), pct(s.verdictGivenHeadWrong).padStart(7),
  gap(s.rewardGap), pct(s.verdictGivenObservationsRight).padStart(6), pct(s.verdictGivenObservationsWrong).padStart(6), gap(s.observationGap),
  `${s.pairsMixedReward}/${s.pairs}`.padStart(7),
].join(' ');
console.log(`\n% right against the oracle (head: rubric or solution exactly; obs: what a check observed; follows: the verdict`);
console.log(`names the response its own checks leave standing; v|head✓/✗: verdict right given a right/wrong head, v|obs✓/✗:`);
console.log(`given all observations right / any wrong; gap: E[reward | ✓] − E[reward | ✗], reward ±1; mixed: pairs whose`);
console.log(`judgements got both rewards)\n`);
const widths = [20, 5, 4, 4, 5, 7, 7, 7, 7, 5, 6, 6, 5, 7];
console.log(cols.map((c, i) => (i === 0 ? c.padEnd(20) : c.padStart(widths[i]))).join(' '));
console.log(row('all', rep.overall));
for (const [k, s] of Object.entries(rep.perCategory)) console.log(row(k, s));
for (const [k, s] of Object.entries(rep.perSubset)) console.log(row(`  ${k}`, s));
for (const e of rep.examples.slice(0, Number(f.show ?? 0))) console.log(`\n${e.id} (${e.subset ?? e.category}): ${e.trace}\n  ${JSON.stringify(e.diagnosis)}`);
const out = f.out ?? 'diagnosis.json';
writeFileSync(out, JSON.stringify(rep, null, 2));
console.log(`\nwrote ${out}`);
process.exit(0);

// `npm run train -- --preset tiny --stage sft|grpo|both [--out DIR] [--init CKPT] [--backend wasm|webgpu|cpu] [--<setting> value ...]`
// Runs the RM-R1 recipe headless on the built-in synthetic world: reasoning distillation (SFT) on the traced
// split, then GRPO on label-only pairs, with held-out evaluation after each stage. Writes a run folder:
// config.json, metrics.jsonl, rollouts.jsonl, eval-<stage>.json, checkpoints/<stage>/. Ctrl-C saves a
// checkpoint after the current step and exits.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from '../src/engine/config';
import { initParams, type ModelParams } from '../src/engine/model';
import { initNodeBackend } from '../src/engine/node_webgpu';
import { defaultTokenizer, type Tokenizer } from '../src/engine/tokenizer';
import { judgePrompt } from '../src/rm/cor_prompt';
import { oracleTrace } from '../src/rm/oracle';
import { makeSplits } from '../src/rm/world';
import { evaluate, type EvalReport } from '../src/train/evaluate';
import { createGrpoRun } from '../src/train/grpo_run';
import { applyOverrides, diffFromDefaults, RUN_DEFAULTS, type RunConfig } from '../src/train/run_config';
import { createSftRun } from '../src/train/sft';
import { appendJsonl, formatSeconds, loadCheckpoint, parseFlags, progress, saveCheckpoint, take } from './cli_util';

const flags = parseFlags(process.argv.slice(2));
const own = take(flags, 'stage', 'out', 'init', 'backend');
const stage = own.stage ?? 'both';
if (!['sft', 'grpo', 'both'].includes(stage)) throw new Error(`--stage must be sft, grpo or both (got "${stage}")`);
const run: RunConfig = applyOverrides(RUN_DEFAULTS, flags);
const out = own.out ?? join('runs', new Date().toISOString().replace(/[:.]/g, '-'));
mkdirSync(out, { recursive: true });

let stopRequested = false;
process.on('SIGINT', () => {
  if (stopRequested) process.exit(130);
  stopRequested = true;
  console.log('\nCtrl-C: stopping after this step and saving a checkpoint (Ctrl-C again to quit now)');
});

const backend = await initNodeBackend((own.backend ?? 'wasm') as 'wasm');
console.log(`${backend.summary}\nrun folder: ${out}\nsettings changed from the defaults: ${JSON.stringify(diffFromDefaults(run))}`);
writeFileSync(join(out, 'config.json'), JSON.stringify({ stage, backend: backend.name, init: own.init ?? null, ...run }, null, 2));

const t0 = performance.now();
const world = makeSplits({ seed: run.seed, ...run.world });
let params: ModelParams, tok: Tokenizer;
let cfg = presetConfig(run.preset, { vocab_size: defaultTokenizer().vocabSize, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 });
if (own.init) ({ params, cfg, tok } = await loadCheckpoint(own.init));
else { tok = defaultTokenizer(); params = initParams(cfg, run.seed); }
console.log(`model: ${run.preset}, ${Object.values(params).reduce((n, v) => n + v.size, 0)} parameters; world: ${world.distill.length} traced, ${world.grpo.length} GRPO, ${world.eval.length} held-out pairs`);

async function heldOut(name: string): Promise<EvalReport> {
  const start = performance.now();
  const rep = await evaluate(params, cfg, tok, world.eval, { samples: 1, temperature: 1, seed: run.seed, ...run.eval, onProgress: (d, n) => progress(`eval ${name}`, d, n, start) });
  writeFileSync(join(out, `eval-${name}.json`), JSON.stringify(rep, null, 2));
  const cats = Object.entries(rep.perCategory).map(([c, a]) => `${c} ${(100 * a.accuracy).toFixed(1)}`).join(', ');
  console.log(`held-out after ${name}: ${(100 * rep.overall.accuracy).toFixed(1)}% (${cats}); position-consistent ${(100 * rep.positionConsistency).toFixed(1)}%, unparseable ${(100 * rep.unparseableRate).toFixed(1)}%`);
  appendJsonl(join(out, 'metrics.jsonl'), { stage: `eval-${name}`, accuracy: rep.overall.accuracy, perCategory: rep.perCategory, positionConsistency: rep.positionConsistency, unparseable: rep.unparseableRate, elapsed: (performance.now() - t0) / 1000 });
  return rep;
}

if (stage !== 'grpo') {
  const ex = (pairs: typeof world.distill) => pairs.map((d) => ({ prompt: judgePrompt(d.pair).text, trace: run.noRubric ? oracleTrace(d.pair, { noRubric: true }) : d.trace }));
  const nHeld = Math.max(8, Math.round(world.distill.length * 0.05));
  const sft = createSftRun(params, cfg, tok, run.sft, ex(world.distill.slice(nHeld)), ex(world.distill.slice(0, nHeld)));
  const start = performance.now();
  while (!sft.done() && !stopRequested) {
    const r = await sft.step();
    appendJsonl(join(out, 'metrics.jsonl'), { stage: 'sft', step: r.step, loss: r.loss, grad_norm: r.gradNorm, learning_rate: r.lr, tokens_per_second: r.tokens / r.seconds, ...(r.evalLoss !== undefined ? { eval_loss: r.evalLoss } : {}) });
    progress('sft', r.step, sft.totalSteps, start, `loss ${r.loss.toFixed(3)}${r.evalLoss !== undefined ? ` eval ${r.evalLoss.toFixed(3)}` : ''}`);
  }
  sft.dispose();
  await saveCheckpoint(join(out, 'checkpoints', 'sft'), params, cfg, tok);
  if (!stopRequested) await heldOut('sft');
}

if (stage !== 'sft' && !stopRequested) {
  const grpo = createGrpoRun(params, cfg, tok, run.grpo, world.grpo);
  const start = performance.now();
  let step = 0;
  while (!grpo.done() && !stopRequested) {
    const r = await grpo.step();
    step = r.step + 1;
    const m = r.update.metrics;
    appendJsonl(join(out, 'metrics.jsonl'), { stage: 'grpo', step, ...m, tokens_per_second: r.sample.completions.reduce((n, c) => n + c.tokens.length, 0) / r.seconds });
    appendJsonl(join(out, 'rollouts.jsonl'), {
      step, prompts: r.sample.pairs.map((p, k) => ({ id: p.id, category: p.category, label: p.winner, prompt: judgePrompt(p).text,
        completions: r.sample.completions.filter((c) => c.group === k).map((c) => c.text),
        rewards: r.score.rewards.filter((_, i) => r.sample.completions[i].group === k), advantages: r.advantages.groups[k].advantages })),
    });
    progress('grpo', step, run.grpo.steps, start, `reward ${m.reward.toFixed(2)} kl ${(m.kl ?? 0).toFixed(4)} zero-std ${m.frac_reward_zero_std.toFixed(2)}`);
  }
  grpo.dispose();
  await saveCheckpoint(join(out, 'checkpoints', 'grpo'), params, cfg, tok);
  if (!stopRequested) await heldOut('grpo');
}
console.log(`${stopRequested ? 'stopped' : 'done'} in ${formatSeconds((performance.now() - t0) / 1000)}; tensors alive: ${tf.memory().numTensors}; run folder ${out}`);
process.exit(0);

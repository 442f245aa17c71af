// `npm run train -- --preset tiny --stage sft|grpo|both [--out DIR] [--init CKPT] [--backend wasm|webgpu|cpu] [--<setting> value ...]`
// Runs the RM-R1 recipe headless on the built-in synthetic world (train/pipeline.ts, the same machine the
// browser's worker drives): reasoning distillation (SFT) on the traced split, then GRPO on label-only
// pairs, with held-out evaluation after each stage. Writes a run folder: config.json, metrics.jsonl,
// rollouts.jsonl, eval-<stage>.json, checkpoints/<name>/. Ctrl-C saves a checkpoint after the current step.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { saveCheckpointDir } from '../src/engine/checkpoint_node';
import { presetConfig } from '../src/engine/config';
import { initParams, type ModelParams } from '../src/engine/model';
import { initNodeBackend } from '../src/engine/node_webgpu';
import { defaultTokenizer, type Tokenizer } from '../src/engine/tokenizer';
import { judgePrompt } from '../src/rm/cor_prompt';
import { createPipeline, worldData, type PipelineEvent } from '../src/train/pipeline';
import { applyOverrides, diffFromDefaults, RUN_DEFAULTS, type RunConfig } from '../src/train/run_config';
import { appendJsonl, formatSeconds, loadCheckpoint, parseFlags, progress, take } from './cli_util';

const flags = parseFlags(process.argv.slice(2));
const own = take(flags, 'out', 'init', 'backend');
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
writeFileSync(join(out, 'config.json'), JSON.stringify({ backend: backend.name, init: own.init ?? null, ...run }, null, 2));

const t0 = performance.now();
let params: ModelParams, tok: Tokenizer;
let cfg = presetConfig(run.preset, { vocab_size: defaultTokenizer().vocabSize, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 });
if (own.init) ({ params, cfg, tok } = await loadCheckpoint(own.init));
else { tok = defaultTokenizer(); params = initParams(cfg, run.seed); }
const data = worldData(run);
const pipeline = createPipeline(run, { params, cfg, tok }, data);
console.log(`model: ${run.preset}, ${Object.values(params).reduce((n, v) => n + v.size, 0)} parameters; data: ${data.distill.length + data.distillHeldOut.length} traced, ${data.grpo.length} GRPO, ${data.eval.length} held-out pairs`);

const phaseStart: Record<string, number> = {};
async function handle(e: PipelineEvent): Promise<void> {
  switch (e.kind) {
    case 'note': console.log(e.message); break;
    case 'metrics': {
      appendJsonl(join(out, 'metrics.jsonl'), e.row);
      const r = e.row, p = pipeline.progress().find((x) => x.phase === r.stage);
      if (r.stage === 'sft' && p) progress('sft', r.step, p.total, phaseStart.sft, `loss ${Number(r.loss).toFixed(3)}${r.eval_loss !== undefined ? ` eval ${Number(r.eval_loss).toFixed(3)}` : ''}`);
      if (r.stage === 'grpo' && p) progress('grpo', r.step, p.total, phaseStart.grpo, `reward ${Number(r.reward).toFixed(2)} kl ${Number(r.kl ?? 0).toFixed(4)} zero-std ${Number(r.frac_reward_zero_std).toFixed(2)}`);
      break;
    }
    case 'eval-progress': progress(`eval ${e.after}`, e.done, e.total, phaseStart[`eval-${e.after}`]); break;
    case 'eval': {
      writeFileSync(join(out, `eval-${e.after}.json`), JSON.stringify(e.report, null, 2));
      const rep = e.report, cats = Object.entries(rep.perCategory).map(([c, a]) => `${c} ${(100 * a.accuracy).toFixed(1)}`).join(', ');
      console.log(`held-out after ${e.after}: ${(100 * rep.overall.accuracy).toFixed(1)}% (${cats}); position-consistent ${(100 * rep.positionConsistency).toFixed(1)}%, unparseable ${(100 * rep.unparseableRate).toFixed(1)}%; ${formatSeconds((performance.now() - t0) / 1000)} since start`);
      break;
    }
    case 'grpo-step': {
      const r = e.report;
      appendJsonl(join(out, 'rollouts.jsonl'), {
        step: r.step + 1, prompts: r.sample.pairs.map((p, k) => ({ id: p.id, category: p.category, label: p.winner, prompt: judgePrompt(p).text,
          completions: r.sample.completions.filter((c) => c.group === k).map((c) => c.text),
          rewards: r.score.rewards.filter((_, i) => r.sample.completions[i].group === k), advantages: r.advantages.groups[k].advantages })),
      });
      break;
    }
    case 'checkpoint': await saveCheckpointDir(join(out, 'checkpoints', e.name), e.files); break;
    case 'phase': phaseStart[e.phase] = performance.now(); break;
  }
}

phaseStart[pipeline.phase()] = performance.now();
while (!pipeline.done() && !stopRequested) for (const e of await pipeline.step()) await handle(e);
if (stopRequested) await saveCheckpointDir(join(out, 'checkpoints', 'stopped'), await pipeline.checkpoint());
pipeline.dispose();
console.log(`${stopRequested ? 'stopped' : 'done'} in ${formatSeconds((performance.now() - t0) / 1000)}; tensors alive: ${tf.memory().numTensors}; run folder ${out}`);
process.exit(0);

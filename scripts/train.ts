// `npm run train -- --preset tiny --stage sft|grpo|both [--out DIR] [--init CKPT] [--backend wasm|webgpu|cpu]
// [--kernels stock|fused] [--<setting> value ...]`
// Runs the RM-R1 recipe headless on the built-in synthetic world (train/pipeline.ts, the same machine the
// browser's worker drives): reasoning distillation (SFT) on the traced split, then GRPO on label-only
// pairs, with held-out evaluation after each stage. Writes a run folder through the file LabStore
// (train/lab_store_node.ts): run.json, config.json, metrics.jsonl, steps.jsonl, eval-<stage>.json,
// checkpoints/<name>/. Ctrl-C saves a checkpoint ('stopped') after the current step. `--kernels fused`
// runs our WebGPU programs (engine/kernels) instead of stock tfjs ops, as the Train page's switch does.
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { switchFusedKernels } from '../src/engine/kernels/fused';
import { initNodeBackend } from '../src/engine/node_webgpu';
import { createFileStore } from '../src/train/lab_store_node';
import { createPipeline, freshModel, worldData, type PipelineEvent } from '../src/train/pipeline';
import { applyOverrides, diffFromDefaults, RUN_DEFAULTS, type RunConfig } from '../src/train/run_config';
import { createRunRecorder, newRunRecord } from '../src/train/run_recorder';
import { exitWithMessageOnError, formatSeconds, loadCheckpoint, parseFlags, progress, take } from './cli_util';

exitWithMessageOnError();

const flags = parseFlags(process.argv.slice(2));
const own = take(flags, 'out', 'init', 'backend', 'kernels');
if (own.kernels !== undefined && own.kernels !== 'stock' && own.kernels !== 'fused')
  throw new Error(`--kernels must be stock or fused, got "${own.kernels}"`);
const run: RunConfig = applyOverrides(RUN_DEFAULTS, flags);
const out = own.out ?? join('runs', new Date().toISOString().replace(/[:.]/g, '-'));

let stopRequested = false;
process.on('SIGINT', () => {
  if (stopRequested) process.exit(130);
  stopRequested = true;
  console.log('\nCtrl-C: stopping after this step and saving a checkpoint (Ctrl-C again to quit now)');
});

const backend = await initNodeBackend((own.backend ?? 'wasm') as 'wasm');
if (own.kernels === 'fused' && backend.name !== 'webgpu')
  throw new Error(`--kernels fused needs WebGPU; this run is on ${backend.name}`);
switchFusedKernels(own.kernels === 'fused');
console.log(
  `${backend.summary}${own.kernels === 'fused' ? ' (fused kernels)' : ''}\nrun folder: ${out}\nsettings changed ` +
    `from the defaults: ${JSON.stringify(diffFromDefaults(run))}`,
);
const recorder = createRunRecorder(
  createFileStore(dirname(out)),
  newRunRecord(basename(out), run, { init: own.init ?? null, backend: backend.name }),
);
await recorder.setStatus('running');

const t0 = performance.now();
const { params, cfg, tok } = own.init ? await loadCheckpoint(own.init) : freshModel(run);
const data = worldData(run);
const pipeline = createPipeline(run, { params, cfg, tok }, data);
console.log(
  `model: ${run.preset}, ${Object.values(params).reduce((n, v) => n + v.size, 0)} parameters; data: ` +
    `${data.distill.length + data.distillHeldOut.length} traced, ${data.grpo.length} GRPO, ${data.eval.length} ` +
    `held-out pairs`,
);

const phaseStart: Record<string, number> = {};
function handle(e: PipelineEvent): void {
  switch (e.kind) {
    case 'note':
      console.log(e.message);
      break;
    case 'metrics': {
      const r = e.row,
        p = pipeline.progress().find((x) => x.phase === r.stage);
      if (r.stage === 'sft' && p)
        progress(
          'sft',
          r.step,
          p.total,
          phaseStart.sft,
          `loss ` +
            `${Number(r.loss).toFixed(3)}${r.eval_loss !== undefined ? ` eval ${Number(r.eval_loss).toFixed(3)}` : ''}`,
        );
      if (r.stage === 'grpo' && p)
        progress(
          'grpo',
          r.step,
          p.total,
          phaseStart.grpo,
          `reward ${Number(r.reward).toFixed(2)} kl ${Number(r.kl ?? 0).toFixed(4)} ` +
            `zero-std ${Number(r.frac_reward_zero_std).toFixed(2)}`,
        );
      break;
    }
    case 'eval-progress':
      progress(`eval ${e.after}`, e.done, e.total, phaseStart[`eval-${e.after}`]);
      break;
    case 'eval': {
      const rep = e.report,
        cats = Object.entries(rep.perCategory)
          .map(([c, a]) => `${c} ${(100 * a.accuracy).toFixed(1)}`)
          .join(', ');
      console.log(
        `held-out after ${e.after}: ${(100 * rep.overall.accuracy).toFixed(1)}% over both A/B orders (${cats}); ` +
          `position-consistent ${(100 * rep.positionConsistency).toFixed(1)}%, unparseable ` +
          `${(100 * rep.unparseableRate).toFixed(1)}%; ${formatSeconds((performance.now() - t0) / 1000)} since start`,
      );
      break;
    }
    case 'phase':
      phaseStart[e.phase] = performance.now();
      break;
    default:
      break;
  }
}

phaseStart[pipeline.phase()] = performance.now();
while (!pipeline.done() && !stopRequested) {
  const events = await pipeline.step();
  for (const e of events) handle(e);
  await recorder.record(events, pipeline.progress());
}
if (stopRequested) {
  await recorder.saveCheckpoint('stopped', await pipeline.checkpoint(), null);
  await recorder.setStatus('stopped');
}
pipeline.dispose();
console.log(
  `${stopRequested ? 'stopped' : 'done'} in ${formatSeconds((performance.now() - t0) / 1000)}; tensors alive: ` +
    `${tf.memory().numTensors}; run folder ${out}`,
);
process.exit(0);

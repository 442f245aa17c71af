// `npm run train -- [--out DIR] [--init CKPT] [--backend auto|wasm|webgpu|cpu] [--kernels auto|fused|stock]
// [--<setting> value ...]` or `npm run train -- --resume runs/X` (`--help` lists every flag and run setting
// with its range and default)
// Runs the RM-R1 recipe headless on the built-in synthetic world (train/pipeline.ts, the same machine the
// browser's worker drives): reasoning distillation (SFT) on the traced split, then GRPO on label-only
// pairs, with held-out evaluation after each stage. Writes a run folder through the file LabStore
// (train/lab_store_node.ts): run.json, config.json, metrics.jsonl, steps.jsonl, eval-<stage>.json,
// checkpoints/<name>/, resume/. Ctrl-C saves a checkpoint ('stopped') after the current step; an error marks
// the run failed with its message. `--resume` goes on with a stopped, interrupted or failed run folder from
// its resume snapshot (train/resume.ts): the same run, at most checkpointEvery steps repeated.
// `--kernels auto` (the default) runs our fused WebGPU programs (engine/kernels) where the kernel self-check
// passes on this adapter, as the Train page does (engine/kernel_choice.ts);
// `--backend auto` (the default) runs on the backend measured fastest for this run's model, as the page does,
// and prints the run's estimated duration there (scripts/backend_auto.ts).
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { formatDuration } from '../src/engine/backend_choice';
import { trainableModel } from '../src/engine/checkpoint';
import { validateConfig } from '../src/engine/config';
import { selectKernelsInNode } from '../src/engine/kernel_choice_node';
import { initNodeBackend } from '../src/engine/node_webgpu';
import { loadCheckpointDir } from '../src/engine/checkpoint_node';
import { createFileStore } from '../src/train/lab_store_node';
import { createPipeline, freshConfig, freshModel, worldData, type PipelineEvent } from '../src/train/pipeline';
import { applyOverrides, diffFromDefaults, RUN_DEFAULTS, type RunConfig } from '../src/train/run_config';
import { estimateRun, runShapes } from '../src/train/run_estimate';
import { loadResume, readResumeInputs, rewindPoint } from '../src/train/resume';
import { createRunRecorder, newRunRecord } from '../src/train/run_recorder';
import { choice, withDefault } from '../src/train/settings';
import { startMeasuredBackend } from './backend_auto';
import {
  exitWithMessageOnError,
  formatSeconds,
  loadCheckpoint,
  NODE_BACKENDS,
  parseCli,
  pathFlag,
  progress,
} from './cli_util';

exitWithMessageOnError();

const { flags: own, run: overrides } = parseCli(process.argv.slice(2), {
  usage:
    'npm run train -- [--out DIR] [--init CKPT] [--backend B] [--kernels K] [--<run setting> value ...] | ' +
    '--resume DIR [--backend B] [--kernels K]',
  flags: {
    out: pathFlag('Run folder to write (run.json, config.json, metrics, checkpoints); default runs/<date-time>.'),
    init: pathFlag('Checkpoint folder to start from instead of fresh weights.'),
    resume: pathFlag('Run folder of a stopped, interrupted or failed run: go on with it from its last checkpoint.'),
    backend: withDefault(
      choice(
        ['auto', ...NODE_BACKENDS] as const,
        "tfjs backend: auto (the fastest measured on this machine for the run's model, once), wasm, webgpu " +
          '(Dawn: a GPU, or SwiftShader), cpu.',
      ),
      'auto',
    ),
    kernels: withDefault(
      choice(
        ['auto', 'fused', 'stock'] as const,
        'Fused WebGPU kernels or stock tfjs ops; auto: fused where the kernel self-check passes on this GPU.',
      ),
      'auto',
    ),
  },
  runSettings: () => true,
});
if (own.resume && (own.out || own.init || Object.keys(overrides).length))
  throw new Error('--resume goes on with the run as it was set up: give no --out, --init or run setting with it');
const out = own.resume ?? own.out ?? join('runs', new Date().toISOString().replace(/[:.]/g, '-'));
const store = createFileStore(dirname(out));
const resumed = own.resume ? await resumableRun(own.resume) : null;
const run: RunConfig = resumed?.config ?? applyOverrides(RUN_DEFAULTS, overrides);

/** The run folder's record, if a run there can go on. */
async function resumableRun(dir: string) {
  const r = await store.getRun(basename(dir));
  if (!r) throw new Error(`--resume ${dir}: no run.json there`);
  if (r.status === 'done') throw new Error(`--resume ${dir}: the run is done; nothing to go on with`);
  if (r.status === 'running' || r.status === 'paused' || r.status === 'created')
    console.warn(`run.json says "${r.status}": if another process is still training this run, stop it first`);
  return r;
}

let stopRequested = false;
process.on('SIGINT', () => {
  if (stopRequested) process.exit(130);
  stopRequested = true;
  console.log('\nCtrl-C: stopping after this step and saving a checkpoint (Ctrl-C again to quit now)');
});

const measured = own.backend === 'auto' ? await startMeasuredBackend(run, modelConfig(), console.log) : null;
const backend = measured?.report ?? (await initNodeBackend(own.backend as Exclude<typeof own.backend, 'auto'>));
if (own.kernels === 'fused' && backend.name !== 'webgpu')
  throw new Error(`--kernels fused needs WebGPU; this run is on ${backend.name}`);
// auto: stock where WebGPU's stock ops measured faster than the fused kernels
const kernelMode = own.kernels === 'auto' && measured?.choice.kernels === 'stock' ? 'stock' : own.kernels;
const kernels = await selectKernelsInNode(kernelMode, backend); // the self-check runs once per adapter
console.log(
  `${backend.summary}${measured ? `\nbackend: ${measured.choice.reason}${estimateLine()}` : ''}\nkernels: ` +
    `${kernels.summary}\nrun folder: ${out}\nsettings changed from the defaults: ` +
    JSON.stringify(diffFromDefaults(run)),
);

/** The model the run trains: the checkpoint's (its config.json) or a fresh one of the run's preset. */
function modelConfig() {
  const init = own.init ?? resumed?.init;
  if (!init) return freshConfig(run).cfg;
  const file = join(init, 'config.json');
  return validateConfig(JSON.parse(readFileSync(file, 'utf8')), file);
}

/** The estimate on the measured backend in use, phase by phase. */
function estimateLine(): string {
  const m = measured?.choice.measurements.find((x) => x.id === measured.choice.candidate)?.times;
  if (!m) return '';
  const e = estimateRun(run, runShapes(run), m);
  const phases = e.phases.map((p) => `${p.phase} ${formatDuration(p.seconds)}`).join(', ');
  return `\nestimated: ~${formatDuration(e.seconds)} (${phases})`;
}
const recorder = createRunRecorder(
  store,
  resumed
    ? { ...resumed, error: null }
    : newRunRecord(basename(out), run, {
        init: own.init ?? null,
        backend: backend.name,
        kernels: kernels.summary,
        backendChoice: measured ? `${measured.choice.reason}${estimateLine().replace('\n', '; ')}` : null,
      }),
);
await recorder.setStatus('running');

// Any failure from here on is recorded in run.json before it ends the CLI (a run is never left "running").
try {
  const t0 = performance.now();
  const { params, data, pipeline } = await buildPipeline();
  await recorder.record([{ kind: 'phase', phase: pipeline.phase() }], pipeline.progress());
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
              `${Number(r.loss).toFixed(3)}` +
              `${r.eval_loss !== undefined ? ` eval ${Number(r.eval_loss).toFixed(3)}` : ''}`,
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
    await recorder.record([await pipeline.checkpoint('stopped')]);
    await recorder.setStatus('stopped');
  }
  pipeline.dispose();
  console.log(
    `${stopRequested ? 'stopped' : 'done'} in ${formatSeconds((performance.now() - t0) / 1000)}; tensors alive: ` +
      `${tf.memory().numTensors}; run folder ${out}`,
  );
} catch (e) {
  await recorder.setStatus('failed', e instanceof Error ? e.message : String(e));
  throw e;
}
process.exit(0);

/** The run's model and pipeline: fresh or from --init; with --resume, from the run's resume snapshot (what was
 * logged past it is dropped from the folder, so nothing is there twice). */
async function buildPipeline() {
  const data = worldData(run);
  if (!resumed) {
    const model = own.init ? trainableModel(await loadCheckpoint(own.init)) : freshModel(run);
    return { params: model.params, data, pipeline: createPipeline(run, model, data) };
  }
  const inputs = await readResumeInputs(store, resumed, loadCheckpointDir);
  const { model, resume } = loadResume(run, inputs);
  const withPairs = { ...data, grpo: inputs.grpoPairs ?? data.grpo };
  const pipeline = createPipeline(run, model, withPairs, resume);
  await recorder.rewind(rewindPoint(inputs.state, run.stage));
  const { phase, steps, checkpoint } = inputs.state;
  console.log(
    `resuming in ${phase} after ${steps.sft} SFT and ${steps.grpo} GRPO steps, from checkpoint ` +
      `'${checkpoint.name}'`,
  );
  return { params: model.params, data: withPairs, pipeline };
}

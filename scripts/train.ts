// `npm run train -- [--out DIR] [--model DIR|hf:owner/name[@rev]] [--distill FILE] [--grpo-data FILE]
// [--backend auto|wasm|webgpu|cpu] [--kernels auto|fused|stock] [--<setting> value ...]` or
// `npm run train -- --resume runs/X` (`--help` lists every flag and run setting with its range and default)
// Runs the RM-R1 recipe headless on the built-in synthetic world (train/pipeline.ts, the same machine the
// browser's worker drives), from fresh weights, one of our checkpoints or a real model (`--model`, with
// `--lora.rank` > 0 to train adapters: its checkpoints are Hugging Face folders with its tokenizer files);
// `--distill` distils on an imported dataset's traced pairs instead (RM-R1's SFT records), `--grpo-data` runs
// GRPO on any imported dataset's labelled pairs (both kept in the run's store for a resume): reasoning
// distillation (SFT) on the traced split, then GRPO on label-only pairs, with held-out evaluation after each
// stage. Writes a run folder through the file LabStore (train/lab_store_node.ts): run.json, config.json,
// metrics.jsonl, steps.jsonl, eval-<stage>.json, checkpoints/<name>/, resume/. Ctrl-C saves a checkpoint
// ('stopped') after the current step; an error marks the run failed with its message. `--resume` goes on with
// a stopped, interrupted or failed run folder from its resume snapshot (train/resume.ts): the same run, at most
// checkpointEvery steps repeated.
// `--kernels auto` (the default) runs our fused WebGPU programs (engine/kernels) where the kernel self-check
// passes on this adapter, as the Train page does (engine/kernel_choice.ts);
// `--backend auto` (the default) runs on the backend measured fastest for this run's model, as the page does,
// and prints the run's estimated duration there (scripts/backend_auto.ts).
// Before any weight is read the run's training memory plan is printed, and a run that cannot fit in the
// backend's limits or `--device-memory GiB` is refused with its numbers and settings that would fit.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { formatDuration } from '../src/engine/backend_choice';
import { type LlamaConfig, validateConfig } from '../src/engine/config';
import { loadTokenizer, TOKENIZER_FILES } from '../src/engine/hf/tokenizer';
import { backendMemoryLimits } from '../src/engine/memory';
import type { TextTokenizer } from '../src/engine/text_tokenizer';
import { selectKernelsInNode } from '../src/engine/kernel_choice_node';
import { initNodeBackend } from '../src/engine/node_webgpu';
import type { CheckpointFiles } from '../src/engine/checkpoint';
import { openModelArg } from '../src/engine/hf/source_node';
import { importDataset } from '../src/rm/importers';
import { createFileStore } from '../src/train/lab_store_node';
import { createPipeline, freshConfig, freshModel, runData, type PipelineEvent } from '../src/train/pipeline';
import { applyOverrides, diffFromDefaults, RUN_DEFAULTS, type RunConfig, runWeights } from '../src/train/run_config';
import { estimateRun, runShapes } from '../src/train/run_estimate';
import { fittingSettings, planLines, runMemory } from '../src/train/run_memory';
import { loadResume, readResumeInputs, rewindPoint } from '../src/train/resume';
import { createRunRecorder, newRunRecord } from '../src/train/run_recorder';
import { choice, withDefault } from '../src/train/settings';
import { startMeasuredBackend } from './backend_auto';
import {
  exitWithMessageOnError,
  formatSeconds,
  loadModelArg,
  MODEL_FLAGS,
  NODE_BACKENDS,
  parseCli,
  pathFlag,
  progress,
} from './cli_util';

exitWithMessageOnError();

const { flags: own, run: overrides } = parseCli(process.argv.slice(2), {
  usage:
    'npm run train -- [--out DIR] [--model M] [--distill FILE] [--grpo-data FILE] [--backend B] [--kernels K] ' +
    '[--<run setting> value ...] | ' +
    '--resume DIR [--backend B] [--kernels K]',
  flags: {
    out: pathFlag('Run folder to write (run.json, config.json, metrics, checkpoints); default runs/<date-time>.'),
    model: pathFlag(
      'The model to train instead of fresh weights: a folder (one of our checkpoints, or a Hugging Face model) or ' +
        'hf:owner/name[@revision] (through $RUBRIC_LAB_CACHE, as judge --model). A real model trains with ' +
        'LoRA (--lora.rank 8) or in full.',
    ),
    init: pathFlag('The same as --model (its older name, for a checkpoint folder).'),
    'device-memory': MODEL_FLAGS['device-memory'],
    distill: pathFlag(
      "A dataset file whose pairs carry judge traces (RM-R1's SFT records): distil on them instead of the world.",
    ),
    'grpo-data': pathFlag("A dataset file (any importer's format): GRPO on its labelled pairs instead of the world."),
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
if (own.model && own.init) throw new Error('--model and --init both given; use one');
if (own.resume && (own.out || own.init || own.model || Object.keys(overrides).length))
  throw new Error('--resume goes on with the run as it was set up: give no --out, --model or run setting with it');
if (own.resume && (own.distill || own['grpo-data']))
  throw new Error('--resume reads the data the run was set up with: give no --distill or --grpo-data with it');
const out = own.resume ?? own.out ?? join('runs', new Date().toISOString().replace(/[:.]/g, '-'));
const store = createFileStore(dirname(out));
const resumed = own.resume ? await resumableRun(own.resume) : null;
const run: RunConfig = resumed?.config ?? applyOverrides(RUN_DEFAULTS, overrides);
const init = own.model ?? own.init ?? resumed?.init ?? null; // what the run starts from (null: fresh weights)
const baseName = init?.replace(/^hf:/, ''); // a LoRA checkpoint's adapter names it as its base

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

const measured = own.backend === 'auto' ? await startMeasuredBackend(run, await modelConfig(), console.log) : null;
const backend = measured?.report ?? (await initNodeBackend(own.backend as Exclude<typeof own.backend, 'auto'>));
if (own.kernels === 'fused' && backend.name !== 'webgpu')
  throw new Error(`--kernels fused needs WebGPU; this run is on ${backend.name}`);
// auto: stock where WebGPU's stock ops measured faster than the fused kernels
const kernelMode = own.kernels === 'auto' && measured?.choice.kernels === 'stock' ? 'stock' : own.kernels;
const kernels = await selectKernelsInNode(kernelMode, backend); // the self-check runs once per adapter
await checkTrainingMemory();
console.log(
  `${backend.summary}${measured ? `\nbackend: ${measured.choice.reason}${estimateLine()}` : ''}\nkernels: ` +
    `${kernels.summary}\nrun folder: ${out}\nsettings changed from the defaults: ` +
    JSON.stringify(diffFromDefaults(run)),
);

/**
 * The run's training memory plan (train/run_memory.ts, as the Train page's) on this backend's limits — WASM's
 * 4 GiB heap, WebGPU's buffer limits — and the budget of --device-memory or gpuMemory, printed; a run that
 * does not fit is refused with its numbers and settings that would fit, before any weight is read (a Hub
 * model's before its download) and before the run folder is written. Lengths from a sample of the world through
 * the model's own tokenizer (imported data's own lengths are not sampled).
 */
async function checkTrainingMemory(): Promise<void> {
  const budgets = [(own['device-memory'] ?? 0) * 2 ** 30, run.gpuMemory * 2 ** 20].filter((b) => b > 0);
  const limits = backendMemoryLimits(backend, budgets.length ? Math.min(...budgets) : undefined, kernels.path);
  const check = (cfg: LlamaConfig, tok: TextTokenizer) => {
    const shapes = runShapes(run, { cfg, tok });
    const stages = runMemory(run, cfg, shapes, limits);
    const lines = planLines(stages, limits);
    const bad = stages.filter((s) => s.plan.problems.length);
    if (!bad.length) return console.log(`training memory plan on ${backend.name}:\n  ${lines.join('\n  ')}`);
    const fixes = bad.map((s) => {
      const f = fittingSettings(run, cfg, shapes, limits, s.stage);
      const what = s.stage === 'sft' ? 'distillation' : 'GRPO';
      const none = 'nothing tried fits (micro-batch, recompute, LoRA rank, judgement length, prompts per step)';
      return `${what}: ${f.length ? `fits with ${f.join('  or  ')}` : `${none}: a smaller model`}`;
    });
    throw new Error(
      `the run does not fit in memory on ${backend.name} (no weight was read):\n  ${lines.join('\n  ')}\n` +
        `what to change:\n  ${fixes.join('\n  ')}`,
    );
  };
  if (!init) return check(freshConfig(run).cfg, freshConfig(run).tok);
  const planned = async (config: Record<string, unknown>, read: (p: string) => Promise<Uint8Array | null>) => {
    const files: Record<string, Uint8Array> = {};
    for (const name of TOKENIZER_FILES) {
      const bytes = await read(name);
      if (bytes) files[name] = bytes;
    }
    check(validateConfig(config, `${init}/config.json`), loadTokenizer(files));
  };
  let done = false;
  const source = await openModelArg(init, {
    beforeWeights: async (config, _files, read) => {
      done = true;
      await planned(config, read);
    },
  });
  if (!done) {
    const bytes = await source.read('config.json');
    if (!bytes) throw new Error(`${init}: no config.json`);
    await planned(JSON.parse(new TextDecoder().decode(bytes)), (p) => source.read(p));
  }
}

/** The model the run trains: the checkpoint's or real model's (its config.json) or a fresh one of the run's preset. */
async function modelConfig() {
  if (!init) return freshConfig(run).cfg;
  const bytes = await (await openModelArg(init)).read('config.json');
  if (!bytes) throw new Error(`${init}: no config.json`);
  return validateConfig(JSON.parse(new TextDecoder().decode(bytes)), `${init}/config.json`);
}

/** Every file of the model the run started from (config, tokenizer, weights): GRPO's π_ref or the weights
 * under a LoRA run's adapters, when a run resumes. */
async function startFiles(arg: string): Promise<CheckpointFiles> {
  const source = await openModelArg(arg);
  const files: CheckpointFiles = {};
  for (const f of source.files) {
    const bytes = await source.read(f.path);
    if (bytes) files[f.path] = bytes;
  }
  return files;
}

/** A dataset file's pairs (any format the importers read, bad records refused), kept in the run's store so a
 * resume reads the same pairs. */
async function importedPairs(file: string, flag: string) {
  const r = importDataset(readFileSync(file, 'utf8'), basename(file));
  const now = Date.now();
  const meta = { id: `${basename(out)}-${flag}`, name: basename(file), source: 'import' as const, format: r.format };
  await store.putDataset({ ...meta, createdAt: now, updatedAt: now, count: r.pairs.length }, r.pairs);
  console.log(`${file}: ${r.pairs.length} pairs (${r.format})`);
  return { pairs: r.pairs, dataset: { id: meta.id, name: meta.name } };
}
const distillData = own.distill ? await importedPairs(own.distill, 'distill') : null;
const grpoData = own['grpo-data'] ? await importedPairs(own['grpo-data'], 'grpo') : null;

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
        init,
        grpoDataset: grpoData?.dataset ?? null,
        distillDataset: distillData?.dataset ?? null,
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
  const trained = Object.values(params).filter((v) => v.trainable);
  console.log(
    `model: ${init ?? run.preset}, ${Object.values(params).reduce((n, v) => n + v.size, 0)} parameters ` +
      `(${trained.reduce((n, v) => n + v.size, 0)} trained); data: ` +
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
  if (!resumed) {
    const data = runData(run, { distillPairs: distillData?.pairs, grpoPairs: grpoData?.pairs });
    const model = init
      ? await loadModelArg(
          { arg: init, flag: own.init ? '--init' : '--model' },
          { report: backend, maxNewTokens: run.grpo.maxCompletionLength, pack: false, weights: runWeights(run) },
        )
      : freshModel(run);
    return { params: model.params, data, pipeline: createPipeline(run, { ...model, name: baseName }, data) };
  }
  const inputs = await readResumeInputs(store, resumed, startFiles);
  const { model, resume } = loadResume(run, inputs);
  const data = runData(run, inputs);
  const pipeline = createPipeline(run, { ...model, name: baseName }, data, resume);
  await recorder.rewind(rewindPoint(inputs.state, run.stage));
  const { phase, steps, checkpoint } = inputs.state;
  console.log(
    `resuming in ${phase} after ${steps.sft} SFT and ${steps.grpo} GRPO steps, from checkpoint ` +
      `'${checkpoint.name}'`,
  );
  return { params: model.params, data, pipeline };
}

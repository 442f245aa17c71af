// The worker's training host: owns at most one run (a pipeline), started fresh, from a checkpoint or from a real
// model of the model cache (read here, from the cache), or resumed from its snapshot,
// and drives it — play (loop until paused), pause, one step, stop — and the GRPO step-through, on the paused
// live run or on a fresh demo. It holds no math: it calls train/ and turns what comes back into events. A
// refused start rejects and loads nothing; a failure once loaded becomes a 'failed' status with the message
// (the checkpoints already sent stay with the page).
import * as tf from '@tensorflow/tfjs';
import { type CheckpointFiles, modelFromFiles, modelFromSource } from '../engine/checkpoint';
import type { ModelSource } from '../engine/hf/source';
import type { ModelParams } from '../engine/model';
import { createGrpoRun, type GrpoRun } from '../train/grpo_run';
import type { StagedStep } from '../train/grpo_step';
import {
  createPipeline,
  freshModel,
  runData,
  worldData,
  type Pipeline,
  type PipelineEvent,
  type PipelineModel,
} from '../train/pipeline';
import { loadResume, type PipelineResume } from '../train/resume';
import { type RunConfig, runWeights } from '../train/run_config';
import { yieldToMessages } from '../train/yield_to_messages';
import type {
  EventSink,
  MemoryReport,
  ResumeRunRequest,
  RunApi,
  StartRunRequest,
  StepThroughInfo,
  StepThroughRequest,
} from './protocol';

export interface RunHostDeps {
  createPipeline: typeof createPipeline; // tests inject a failing one
  /** A cached real model's files (models_host.ts); a start from one reads them here, not over postMessage. */
  openCached: (id: string) => Promise<ModelSource>;
}

const noCache = async (id: string): Promise<ModelSource> => {
  throw new Error(`No model cache in this context to open "${id}" from`);
};

/** Fresh weights for a config, or the given checkpoint's (its own config then wins). */
function buildModel(config: RunConfig, init?: StartRunRequest['init'], name?: string) {
  return { ...(init ? modelFromFiles(init, { weights: runWeights(config) }) : freshModel(config)), name };
}

/** Every file of a model source in memory (what loadResume reads checkpoints as). */
async function sourceFiles(source: ModelSource): Promise<CheckpointFiles> {
  const files: CheckpointFiles = {};
  for (const f of source.files) {
    const bytes = await source.read(f.path);
    if (bytes) files[f.path] = bytes;
  }
  return files;
}

interface Live {
  runId: string;
  pipeline: Pipeline;
  params: ModelParams;
}
interface Through {
  source: 'live' | 'demo';
  staged: StagedStep;
  demo?: { run: GrpoRun; params: ModelParams };
}

/** The run API, and whether a run is playing (the engine refuses some calls meanwhile). */
export type RunHost = RunApi & { playing(): boolean };

export function createRunHost(emit: EventSink, deps: Partial<RunHostDeps> = {}): RunHost {
  const { createPipeline: makePipeline = createPipeline, openCached = noCache } = deps;
  let live: Live | null = null;
  let through: Through | null = null;
  let playing = false;
  let pauseRequested = false;
  let stopRequested = false;
  let working: Promise<void> = Promise.resolve();

  const memory = () => emit({ kind: 'memory', memory: tf.memory() as MemoryReport });
  const send = (l: Live, events: PipelineEvent[]) =>
    emit({ kind: 'run', runId: l.runId, events, progress: l.pipeline.progress() });
  const release = (l: Live) => {
    l.pipeline.dispose();
    tf.dispose(Object.values(l.params));
    if (live === l) live = null;
  };
  const fail = (l: Live, e: unknown) => {
    emit({ kind: 'run-status', runId: l.runId, status: 'failed', error: (e as Error).message ?? String(e) });
    release(l);
  };
  /** A resume of a run that started from a cached real model: the start's weights, where the snapshot needs
   * them and the page sent them empty, read from the cache here. */
  async function withStartWeights(req: ResumeRunRequest): Promise<ResumeRunRequest> {
    const empty = (f?: CheckpointFiles) => f !== undefined && Object.keys(f).length === 0;
    if (!req.startModel || !(empty(req.base) || empty(req.reference))) return req;
    const start = await sourceFiles(await openCached(req.startModel));
    return {
      ...req,
      base: empty(req.base) ? start : req.base,
      reference: empty(req.reference) ? start : req.reference,
    };
  }
  const needLive = (what: string): Live => {
    if (!live) throw new Error(`${what}: no run is loaded; start one first`);
    if (through?.source === 'live')
      throw new Error(`${what}: a step-through of this run's next GRPO step is open; finish it first`);
    return live;
  };

  /** One unit of work; false when the run is over (done or failed). */
  async function unit(l: Live): Promise<boolean> {
    try {
      send(l, await l.pipeline.step());
      await yieldToMessages(); // so pause and stop are heard on WASM too
      memory();
      if (l.pipeline.done()) {
        emit({ kind: 'run-status', runId: l.runId, status: 'done' });
        release(l);
        return false;
      }
      return true;
    } catch (e) {
      fail(l, e);
      return false;
    }
  }

  async function stopNow(l: Live): Promise<void> {
    try {
      send(l, [await l.pipeline.checkpoint('stopped')]);
      emit({ kind: 'run-status', runId: l.runId, status: 'stopped' });
      release(l);
    } catch (e) {
      fail(l, e);
    }
  }

  /** Runs `work` after whatever is running now; one unit of work at a time. */
  const serial = (work: () => Promise<void>): Promise<void> => (working = working.then(work, work));

  /** Makes a run's pipeline the live run, waiting paused; a refusal frees what was built and loads nothing. */
  async function load(
    req: Pick<StartRunRequest, 'runId' | 'config' | 'grpoPairs' | 'distillPairs'>,
    build: () => Promise<{ model: PipelineModel; resume?: PipelineResume }>,
  ): Promise<void> {
    if (live) throw new Error(`A run (${live.runId}) is loaded; stop it before starting another`);
    await working;
    const { model, resume } = await build();
    try {
      const pipeline = makePipeline(req.config, model, runData(req.config, req), resume);
      live = { runId: req.runId, pipeline, params: model.params };
      send(live, [{ kind: 'phase', phase: pipeline.phase() }]);
      emit({ kind: 'run-status', runId: req.runId, status: 'paused' });
      memory();
    } catch (e) {
      tf.dispose([...Object.values(model.params), ...Object.values(resume?.reference ?? {})]);
      throw e;
    }
  }

  const api: RunHost = {
    playing: () => playing,
    startRun: (req) =>
      load(req, async () => ({
        model: req.model
          ? {
              // trains: unpacked, a LoRA run's frozen base in lora.base
              ...(await modelFromSource(await openCached(req.model), { pack: false, weights: runWeights(req.config) })),
              name: req.baseName,
            }
          : buildModel(req.config, req.init, req.baseName),
      })),
    resumeRun: (req) =>
      load(req, async () => {
        const r = loadResume(req.config, await withStartWeights(req));
        return { ...r, model: { ...r.model, name: req.baseName } };
      }),
    async play() {
      const l = needLive('play');
      if (playing) return;
      playing = true;
      pauseRequested = false;
      emit({ kind: 'run-status', runId: l.runId, status: 'running' });
      try {
        await serial(async () => {
          while (live === l && !pauseRequested && !stopRequested) if (!(await unit(l))) return;
        });
      } finally {
        playing = false;
      }
      if (live === l && stopRequested) {
        stopRequested = false;
        await stopNow(l);
      } else if (live === l) emit({ kind: 'run-status', runId: l.runId, status: 'paused' });
    },
    pause() {
      pauseRequested = true;
    },
    async stepOnce() {
      const l = needLive('step');
      if (playing) throw new Error('step: the run is playing; pause it first');
      await serial(async () => {
        await unit(l);
      });
    },
    async stop() {
      const l = live;
      if (!l) return;
      if (through?.source === 'live') await api.endStepThrough();
      if (playing) {
        stopRequested = true; // the loop stops after its unit and saves
        await working;
        return;
      }
      await serial(() => stopNow(l));
    },

    async demoGrpoGroups(req) {
      if (playing) throw new Error('The demo step waits for the playing run: pause it first');
      const { params, cfg, tok } = buildModel(req.config, req.init);
      let run: GrpoRun | null = null;
      let staged: StagedStep | null = null;
      try {
        run = createGrpoRun(params, cfg, tok, req.config.grpo, worldData(req.config).grpo);
        staged = run.begin(false);
        const [sample, score, advantages] = [await staged.next(), await staged.next(), await staged.next()];
        if (sample.stage !== 'sample' || score.stage !== 'score' || advantages.stage !== 'advantages')
          throw new Error(`demo step: stages ran as ${sample.stage}, ${score.stage}, ${advantages.stage}`);
        return { step: staged.step, sample: sample.sample, score: score.score, advantages: advantages.advantages };
      } finally {
        staged?.dispose();
        run?.dispose();
        tf.dispose(Object.values(params));
        memory();
      }
    },

    async beginStepThrough(req: StepThroughRequest): Promise<StepThroughInfo> {
      if (through) await api.endStepThrough();
      const stages = (mu: number) =>
        [
          'sample',
          'score',
          'advantages',
          ...Array.from({ length: mu }, () => ['loss', 'update'] as const).flat(),
        ] as StepThroughInfo['stages'];
      if (req.source === 'live') {
        const l = needLive('step-through');
        if (playing) throw new Error('step-through: pause the run first');
        await working;
        const staged = l.pipeline.beginGrpoStep(true);
        if (!staged)
          throw new Error(
            `step-through: the run is in its ${l.pipeline.phase()} phase; the step-through works during GRPO`,
          );
        through = { source: 'live', staged };
        return {
          source: 'live',
          step: staged.step,
          stages: stages(l.pipeline.config.grpo.numIterations),
          grpo: l.pipeline.config.grpo,
        };
      }
      const { params, cfg, tok } = buildModel(req.config, req.init);
      const run = createGrpoRun(params, cfg, tok, req.config.grpo, worldData(req.config).grpo);
      const staged = run.begin(true);
      through = { source: 'demo', staged, demo: { run, params } };
      return {
        source: 'demo',
        step: staged.step,
        stages: stages(req.config.grpo.numIterations),
        grpo: req.config.grpo,
      };
    },
    async nextStage() {
      const t = through;
      if (!t) throw new Error('step-through: none is open');
      const out = await t.staged.next();
      if (t.staged.nextStage() === null && t.source === 'live' && live) {
        try {
          send(live, await live.pipeline.finishGrpoStep(t.staged.report()));
        } catch (e) {
          fail(live, e);
        }
      }
      memory();
      return out;
    },
    async endStepThrough() {
      const t = through;
      if (!t) return;
      if (t.source === 'live') while (t.staged.nextStage() !== null) await api.nextStage();
      t.staged.dispose();
      if (t.demo) {
        t.demo.run.dispose();
        tf.dispose(Object.values(t.demo.params));
      }
      through = null;
      memory();
    },
  };
  return api;
}

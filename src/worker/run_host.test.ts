// The worker's run host in Node (WASM, nano): a run waits paused after start; step, play and pause move
// it unit by unit (`playing()` is true only while play's loop runs); a live step-through is booked into
// the run like a plain step, numbered from 1 as every GRPO step is; stop sends a 'stopped' checkpoint with
// the phase's step count; a failing step becomes a 'failed' status with its message, after the checkpoints
// already sent; a demo step-through (its first step, step 1) leaves no tensors behind. Issue 15.1: a start
// the pipeline refuses (a GRPO category with no pairs, an odd promptsPerStep with bothOrders, a checkpoint
// that does not decode) rejects with the reason, loads nothing, frees what it built, and the next start
// works. Issue 15.4: a stopped run resumes from its snapshot and goes on to done; a bad snapshot is refused.
// A start from a real model the model cache no longer holds is refused naming it (the cache is read here).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createModelCache } from '../engine/hf/cache';
import { nodeCacheStore } from '../engine/hf/cache_store_node';
import { switchTestBackend } from '../engine/test_backends';
import { createPipeline, type Pipeline, type PipelineEvent } from '../train/pipeline';
import { encodeSnapshot } from '../train/resume';
import { applyOverrides, RUN_DEFAULTS } from '../train/run_config';
import type { WorkerEvent } from './protocol';
import { createModelsHost } from './models_host';
import { createRunHost } from './run_host';

const small = applyOverrides(RUN_DEFAULTS, {
  preset: 'nano',
  checkpointEvery: '0',
  'world.nDistill': '16',
  'world.nGrpo': '8',
  'world.nEval': '2',
  'sft.epochs': '1',
  'sft.batchSize': '4',
  'grpo.steps': '3',
  'grpo.numGenerations': '2',
  'grpo.promptsPerStep': '2',
  'grpo.maxCompletionLength': '6',
  'eval.maxCompletionLength': '6',
  'eval.batchSize': '8',
});

function recorder() {
  const events: WorkerEvent[] = [];
  const statuses = () => events.flatMap((e) => (e.kind === 'run-status' ? [e.status] : []));
  const runEvents = () => events.flatMap((e) => (e.kind === 'run' ? e.events : []));
  return { events, statuses, runEvents, emit: (e: WorkerEvent) => void events.push(e) };
}

describe('run host (nano, WASM)', () => {
  beforeAll(() => switchTestBackend('wasm'));

  it('waits paused, steps, plays and pauses, books a live step-through, and stops with a checkpoint', async () => {
    const before = tf.memory().numTensors;
    const r = recorder();
    const host = createRunHost(r.emit);
    await host.startRun({ runId: 'r1', config: applyOverrides(small, { stage: 'grpo' }) });
    expect(r.statuses()).toEqual(['paused']);
    await expect(host.startRun({ runId: 'r2', config: small })).rejects.toThrow(/stop it before/);

    await host.stepOnce();
    expect(r.runEvents().filter((e) => e.kind === 'grpo-step')).toHaveLength(1);

    expect(host.playing()).toBe(false);
    const playing = host.play();
    expect(host.playing()).toBe(true);
    host.pause(); // asked before the loop's first unit: it runs none
    await playing;
    expect(host.playing()).toBe(false);
    expect(r.statuses()).toEqual(['paused', 'running', 'paused']);

    const info = await host.beginStepThrough({ source: 'live' });
    expect(info).toMatchObject({
      source: 'live',
      step: 2,
      stages: ['sample', 'score', 'advantages', 'loss', 'update'],
    });
    await expect(host.stepOnce()).rejects.toThrow(/step-through/);
    const stages: string[] = [];
    for (let i = 0; i < info.stages.length; i++) stages.push((await host.nextStage()).stage);
    expect(stages).toEqual(info.stages);
    await host.endStepThrough();
    const grpoRows = r.runEvents().flatMap((e) => (e.kind === 'metrics' && e.row.stage === 'grpo' ? [e.row.step] : []));
    expect(grpoRows).toEqual([1, 2]); // the step-through's step was booked as step 2

    await host.stop();
    const ckpts = r.runEvents().flatMap((e) => (e.kind === 'checkpoint' ? [`${e.name}@${e.phase}:${e.step}`] : []));
    expect(ckpts).toEqual(['stopped@grpo:2']);
    expect(r.statuses().at(-1)).toBe('stopped');
    expect(tf.memory().numTensors).toBe(before);
  });

  it(
    'pause and stop sent by another task while playing are heard between units, even when every await of a step is ' +
      'a microtask (WASM)',
    async () => {
      const r = recorder();
      let units = 0;
      const host = createRunHost(r.emit, {
        createPipeline: (...args: Parameters<typeof createPipeline>): Pipeline => {
          const p = createPipeline(...args);
          // a unit that never leaves the microtask queue, and a run long enough that "done" means unheard
          return {
            ...p,
            step: async () => {
              units++;
              return [];
            },
            done: () => units >= 2000,
          };
        },
      });
      await host.startRun({ runId: 'r4', config: small });
      const playing = host.play();
      setTimeout(() => host.pause(), 0); // a message from the page arrives as a macrotask
      await playing;
      expect(r.statuses()).toEqual(['paused', 'running', 'paused']);
      expect(units).toBeLessThan(10);
      const again = host.play();
      setTimeout(() => void host.stop(), 0);
      await again;
      await host.stop();
      expect(r.statuses().at(-1)).toBe('stopped');
      expect(units).toBeLessThan(20);
    },
  );

  it('a failing step ends the run as failed with its message, after the checkpoints already sent', async () => {
    const r = recorder();
    let calls = 0;
    const host = createRunHost(r.emit, {
      createPipeline: (...args: Parameters<typeof createPipeline>): Pipeline => {
        const p = createPipeline(...args);
        return {
          ...p,
          step: async () => {
            if (++calls === 3) throw new Error('GPU device lost in step 3');
            return p.step();
          },
        };
      },
    });
    await host.startRun({ runId: 'r3', config: applyOverrides(small, { checkpointEvery: '1' }) });
    await host.play();
    expect(r.statuses()).toEqual(['paused', 'running', 'failed']);
    const failed = r.events.find((e) => e.kind === 'run-status' && e.status === 'failed');
    expect(failed).toMatchObject({ error: 'GPU device lost in step 3' });
    expect(
      r
        .runEvents()
        .filter((e) => e.kind === 'checkpoint')
        .map((e) => (e as { step: number }).step),
    ).toEqual([1, 2]);
    await expect(host.stepOnce()).rejects.toThrow(/no run is loaded/);
  });

  it('issue 15.1: a start the pipeline refuses rejects with the reason, loads nothing, frees its tensors', async () => {
    const before = tf.memory().numTensors;
    const r = recorder();
    const host = createRunHost(r.emit);
    const refused: [Record<string, string>, RegExp][] = [
      [
        { 'world.reasoningTasks': 'muladd', 'grpo.categories': 'reasoning/count' },
        /no GRPO pair is in "reasoning\/count"/,
      ],
      [{ 'grpo.promptsPerStep': '3' }, /even number of prompts per step, got 3/],
      [{ 'world.nDistill': '8' }, /SFT: no traced pair to distil \(8 are held out/],
    ];
    for (const [o, message] of refused)
      await expect(
        host.startRun({ runId: 'bad', config: applyOverrides(small, { stage: 'both', ...o }) }),
      ).rejects.toThrow(message);
    const garbage = { 'config.json': new Uint8Array([123]), 'model.safetensors': new Uint8Array(8) };
    await expect(
      host.startRun({ runId: 'bad', config: small, init: { ...garbage, 'tokenizer.json': new Uint8Array(0) } }),
    ).rejects.toThrow(/config.json: not valid JSON/);
    expect(r.events, 'a refused start sends nothing').toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
    await host.startRun({ runId: 'good', config: small });
    expect(r.statuses()).toEqual(['paused']);
    await host.stop();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('issue 15.4: a stopped run resumes from its snapshot and runs to done; a bad snapshot is refused', async () => {
    const before = tf.memory().numTensors;
    const r = recorder();
    const host = createRunHost(r.emit);
    const config = applyOverrides(small, { stage: 'sft', 'world.nDistill': '24', 'sft.epochs': '2' }); // 8 SFT steps
    await host.startRun({ runId: 'r5', config });
    for (let i = 0; i < 3; i++) await host.stepOnce();
    await host.stop();
    const stopped = r.runEvents().find((e) => e.kind === 'checkpoint') as Extract<
      PipelineEvent,
      { kind: 'checkpoint' }
    >;
    expect(stopped).toMatchObject({ name: 'stopped', step: 3, resume: { state: { phase: 'sft', steps: { sft: 3 } } } });
    const snapshot = encodeSnapshot(stopped.resume!);

    await expect(
      host.resumeRun({
        runId: 'r5',
        config,
        checkpoint: stopped.files,
        snapshot: { 'resume.json': new Uint8Array(1) },
      }),
    ).rejects.toThrow(/resume.json: not valid JSON/);
    expect(tf.memory().numTensors).toBe(before);

    r.events.length = 0;
    await host.resumeRun({ runId: 'r5', config, checkpoint: stopped.files, snapshot });
    expect(r.runEvents()[0]).toEqual({ kind: 'phase', phase: 'sft' });
    await host.play();
    expect(r.statuses()).toEqual(['paused', 'running', 'done']);
    const steps = r.runEvents().flatMap((e) => (e.kind === 'metrics' && e.row.stage === 'sft' ? [e.row.step] : []));
    expect(steps).toEqual([4, 5, 6, 7, 8]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a demo step-through runs every stage on a fresh model and frees it', async () => {
    const before = tf.memory().numTensors;
    const host = createRunHost(() => {});
    const info = await host.beginStepThrough({
      source: 'demo',
      config: applyOverrides(small, { 'grpo.numIterations': '2' }),
    });
    expect(info.step).toBe(1);
    expect(info.stages).toEqual(['sample', 'score', 'advantages', 'loss', 'update', 'loss', 'update']);
    const first = await host.nextStage();
    expect(first.stage === 'sample' && first.sample.completions).toHaveLength(4);
    await host.endStepThrough(); // abandoned after sampling: a demo need not finish
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a start from a model the model cache no longer holds is refused naming it, and loads nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rl-run-host-'));
    try {
      const r = recorder();
      const { openCached } = createModelsHost(r.emit, async () => createModelCache(nodeCacheStore(dir)));
      const host = createRunHost(r.emit, { openCached });
      const req = { runId: 'gone', config: small, model: 'hub--test-org--tiny/0123abc' };
      await expect(host.startRun(req)).rejects.toThrow(/No cached model "hub--test-org--tiny\/0123abc"/);
      expect(r.statuses()).toEqual([]);
      await host.startRun({ runId: 'next', config: small }); // nothing was left loaded
      expect(r.statuses()).toEqual(['paused']);
      await host.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// The worker's run host in Node (WASM, nano): a run waits paused after start; step, play and pause move
// it unit by unit; a live step-through is booked into the run like a plain step; stop sends a 'stopped'
// checkpoint; a failing step becomes a 'failed' status with its message, after the checkpoints already
// sent; a demo step-through leaves no tensors behind.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { switchTestBackend } from '../engine/test_backends';
import { createPipeline, type Pipeline } from '../train/pipeline';
import { applyOverrides, RUN_DEFAULTS } from '../train/run_config';
import type { WorkerEvent } from './protocol';
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

    const playing = host.play();
    host.pause(); // asked before the loop's first unit: it runs none
    await playing;
    expect(r.statuses()).toEqual(['paused', 'running', 'paused']);

    const info = await host.beginStepThrough({ source: 'live' });
    expect(info).toMatchObject({
      source: 'live',
      step: 1,
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
    const ckpts = r.runEvents().flatMap((e) => (e.kind === 'checkpoint' ? [e.name] : []));
    expect(ckpts).toEqual(['stopped']);
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

  it('a demo step-through runs every stage on a fresh model and frees it', async () => {
    const before = tf.memory().numTensors;
    const host = createRunHost(() => {});
    const info = await host.beginStepThrough({
      source: 'demo',
      config: applyOverrides(small, { 'grpo.numIterations': '2' }),
    });
    expect(info.stages).toEqual(['sample', 'score', 'advantages', 'loss', 'update', 'loss', 'update']);
    const first = await host.nextStage();
    expect(first.stage === 'sample' && first.sample.completions).toHaveLength(4);
    await host.endStepThrough(); // abandoned after sampling: a demo need not finish
    expect(tf.memory().numTensors).toBe(before);
  });
});

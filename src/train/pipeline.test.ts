// The recipe's state machine on nano (WASM): phases run in order (SFT → eval → GRPO → eval), progress ends
// complete, every logged key is defined in the metrics table, checkpoints come at stage ends and every
// `checkpointEvery` steps and decode back to the parameters, GRPO steps count from 1 like SFT's (reports,
// metrics rows and checkpoints alike), a GRPO step run stage by stage is booked like a plain one, a
// checkpoint taken on stop records the step count of its phase's stage, prompts too long for the context
// are left out and said so, no tensors leak, and a GPU error reported during a step stops the run with its
// message. With lora.rank > 0 the run trains adapters: the frozen embedding never moves, checkpoints are
// plain merged weights, and their resume snapshots hold the adapters (resume_lora.test.ts resumes them).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { decodeCheckpoint } from '../engine/checkpoint';
import { presetConfig } from '../engine/config';
import { watchDeviceErrors } from '../engine/device_errors';
import { loraParams, mergedParams } from '../engine/lora';
import { initParams } from '../engine/model';
import { switchTestBackend } from '../engine/test_backends';
import { defaultTokenizer } from '../engine/tokenizer';
import { METRICS } from './metrics';
import { createPipeline, phasesOf, selectCategories, worldData, type PipelineEvent } from './pipeline';
import { applyOverrides, RUN_DEFAULTS } from './run_config';

const tok = defaultTokenizer();
const cfg = presetConfig(
  'nano',
  { vocab_size: tok.vocabSize, bos_token_id: tok.bosId, eos_token_id: tok.eosId, pad_token_id: tok.padId },
  { max_position_embeddings: 256 },
);
const run = applyOverrides(RUN_DEFAULTS, {
  preset: 'nano',
  checkpointEvery: '2',
  'world.nDistill': '24',
  'world.nGrpo': '8',
  'world.nEval': '4',
  'sft.epochs': '1',
  'sft.batchSize': '4',
  'sft.evalEvery': '2',
  'grpo.steps': '3',
  'grpo.numGenerations': '2',
  'grpo.promptsPerStep': '2',
  'grpo.maxCompletionLength': '8',
  'eval.maxCompletionLength': '8',
  'eval.batchSize': '4',
});

describe('pipeline (nano, WASM)', () => {
  beforeAll(() => switchTestBackend('wasm'));

  it('runs SFT → eval → GRPO → eval: complete progress, defined metric keys, checkpoints, no leaks', async () => {
    const data = worldData(run);
    expect([data.distill.length, data.distillHeldOut.length]).toEqual([16, 8]);
    const before = tf.memory().numTensors;
    const params = initParams(cfg, 1);
    const withParams = tf.memory().numTensors;
    const p = createPipeline(run, { params, cfg, tok }, data);
    const events: PipelineEvent[] = [];
    let guard = 0;
    while (!p.done() && guard++ < 100) events.push(...(await p.step()));
    expect(p.done()).toBe(true);

    const phases = events.filter((e) => e.kind === 'phase').map((e) => (e as { phase: string }).phase);
    expect(phases).toEqual(phasesOf('both').slice(1));
    for (const x of p.progress()) expect(x.done, x.phase).toBe(x.total);
    expect(p.progress().find((x) => x.phase === 'sft')!.total).toBe(Math.ceil(data.distill.length / 4));

    const known = new Set(METRICS.map((m) => m.key as string));
    const rows = events.flatMap((e) => (e.kind === 'metrics' ? [e.row] : []));
    expect(rows.map((r) => r.stage)).toEqual(['sft', 'sft', 'sft', 'sft', 'eval', 'grpo', 'grpo', 'grpo', 'eval']);
    for (const r of rows)
      for (const k of Object.keys(r))
        if (!['stage', 'step', 'elapsed', 'after'].includes(k)) expect(known, `${r.stage} logs ${k}`).toContain(k);
    expect(rows.filter((r) => r.stage === 'grpo').map((r) => r.step)).toEqual([1, 2, 3]);
    expect(events.flatMap((e) => (e.kind === 'grpo-step' ? [e.report.step] : []))).toEqual([1, 2, 3]);
    expect(rows.find((r) => r.stage === 'grpo')).toHaveProperty('entropy');

    const ckpts = events.flatMap((e) => (e.kind === 'checkpoint' ? [`${e.name}@${e.step}`] : []));
    expect(ckpts).toEqual(['latest@2', 'sft@4', 'latest@2', 'grpo@3']);
    const last = events.filter((e) => e.kind === 'checkpoint').pop() as Extract<PipelineEvent, { kind: 'checkpoint' }>;
    const decoded = decodeCheckpoint(last.files);
    const embed = await params['model.embed_tokens.weight'].data();
    expect(Array.from(decoded.tensors['model.embed_tokens.weight'].data)).toEqual(Array.from(embed));

    expect(events.filter((e) => e.kind === 'eval').map((e) => (e as { after: string }).after)).toEqual(['sft', 'grpo']);
    p.dispose();
    expect(tf.memory().numTensors).toBe(withParams);
    tf.dispose(Object.values(params));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a LoRA run trains adapters: frozen embedding, checkpoints of W + s·B·A, adapters in snapshots', async () => {
    const loraRun = applyOverrides(run, { 'lora.rank': '4', 'lora.dropout': '0.1' });
    const data = worldData(loraRun);
    const before = tf.memory().numTensors;
    const params = initParams(cfg, 1);
    const embed = Array.from(await params['model.embed_tokens.weight'].data());
    const p = createPipeline(loraRun, { params, cfg, tok }, data);
    expect(Object.keys(loraParams(params))).toHaveLength(cfg.num_hidden_layers * 7 * 2);
    const events: PipelineEvent[] = [];
    let guard = 0;
    while (!p.done() && guard++ < 100) events.push(...(await p.step()));
    expect(p.done()).toBe(true);
    expect(Array.from(await params['model.embed_tokens.weight'].data())).toEqual(embed);
    const last = events.filter((e) => e.kind === 'checkpoint').pop() as Extract<PipelineEvent, { kind: 'checkpoint' }>;
    const decoded = decodeCheckpoint(last.files); // a plain checkpoint: its tensors are the config's, no adapters
    const merged = mergedParams(params);
    const q = 'model.layers.1.self_attn.q_proj.weight';
    const want = await merged.params[q].data();
    expect(Array.from(decoded.tensors[q].data)).toEqual(Array.from(want));
    merged.dispose();
    p.dispose();
    const latest = events.find((e) => e.kind === 'checkpoint' && e.name === 'latest') as typeof last;
    expect(latest.resume?.state.base).toBe('start');
    expect(Object.keys(latest.resume?.adapters ?? {}).sort()).toEqual(Object.keys(loraParams(params)).sort());
    tf.dispose(Object.values(params));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('books a stage-by-stage GRPO step like a plain one, and leaves out prompts too long to judge', async () => {
    const grpoOnly = applyOverrides(run, { stage: 'grpo', 'grpo.steps': '2' });
    const data = worldData(grpoOnly);
    const long = { ...data.grpo[0], id: 'too-long', prompt: 'x'.repeat(300) };
    const params = initParams(cfg, 2);
    const p = createPipeline(grpoOnly, { params, cfg, tok }, { ...data, grpo: [...data.grpo, long] });
    const staged = p.beginGrpoStep(true)!;
    expect(staged.step).toBe(1);
    while (staged.nextStage() !== null) await staged.next();
    const booked = await p.finishGrpoStep(staged.report());
    expect(booked.map((e) => e.kind)).toEqual(['note', 'grpo-pool', 'grpo-step', 'metrics']);
    // the run keeps which pairs GRPO used: the long prompt (index 8 of the 9) is left out
    expect(booked[1]).toMatchObject({ kind: 'grpo-pool', pool: { leftOut: [8], count: 8 } });
    expect(booked[3]).toMatchObject({ kind: 'metrics', row: { stage: 'grpo', step: 1 } });
    expect(await p.checkpoint('stopped')).toMatchObject({ name: 'stopped', phase: 'grpo', step: 1 });
    expect(booked[0]).toMatchObject({ kind: 'note', message: expect.stringContaining('1 of 9 pairs left out') });
    expect(p.progress()[0]).toEqual({ phase: 'grpo', done: 1, total: 2 });
    const next = await p.step();
    expect(next.map((e) => e.kind)).toEqual(['grpo-step', 'metrics', 'checkpoint', 'phase']);
    expect(p.beginGrpoStep()).toBeNull(); // GRPO is over: the run is evaluating now
    p.dispose();
    tf.dispose(Object.values(params));
  });

  it(
    'grpo.categories: GRPO judges only the listed categories ' +
      'and subsets, says how many pairs, refuses an unknown name',
    async () => {
      const pairs = worldData(applyOverrides(run, { 'world.nGrpo': '60' })).grpo;
      expect(selectCategories(pairs, '')).toBe(pairs);
      const reasoning = selectCategories(pairs, 'reasoning');
      expect(reasoning.length).toBeGreaterThan(0);
      expect(reasoning.every((p) => p.category === 'reasoning')).toBe(true);
      const mixed = selectCategories(pairs, ' safety , reasoning/count');
      expect(mixed).toEqual(
        pairs.filter((p) => p.category === 'safety' || (p.category === 'reasoning' && p.subset === 'count')),
      );
      expect(() => selectCategories(pairs, 'reasoning/divide')).toThrow(
        /grpo.categories: no GRPO pair is in "reasoning\/divide"; there are .*reasoning\/count/,
      );
      const only = applyOverrides(run, {
        stage: 'grpo',
        'grpo.steps': '1',
        'grpo.categories': 'safety',
        'world.nGrpo': '60',
      });
      const params = initParams(cfg, 2);
      const p = createPipeline(only, { params, cfg, tok }, worldData(only));
      const events = await p.step();
      const safety = pairs.filter((x) => x.category === 'safety').length;
      expect(events[0]).toMatchObject({
        kind: 'note',
        message: `GRPO on ${safety} of 60 pairs: grpo.categories = safety`,
      });
      const step = events.find((e) => e.kind === 'grpo-step') as Extract<PipelineEvent, { kind: 'grpo-step' }>;
      expect(step.report.sample.pairs.length).toBeGreaterThan(0);
      expect(step.report.sample.pairs.every((x) => x.category === 'safety')).toBe(true);
      p.dispose();
      tf.dispose(Object.values(params));
    },
  );

  it('a checkpoint taken on stop during SFT or its evaluation records the SFT steps done', async () => {
    const params = initParams(cfg, 3);
    const p = createPipeline(run, { params, cfg, tok }, worldData(run));
    await p.step();
    await p.step();
    expect(await p.checkpoint('stopped')).toMatchObject({ kind: 'checkpoint', phase: 'sft', step: 2 });
    while (p.phase() === 'sft') await p.step();
    await p.step(); // one evaluation batch
    expect(await p.checkpoint('stopped')).toMatchObject({ phase: 'eval-sft', step: 4 });
    p.dispose();
    tf.dispose(Object.values(params));
  });

  it("stops with the GPU's own message when the device reported an error during a step", async () => {
    const device = new EventTarget();
    watchDeviceErrors(device);
    const params = initParams(cfg, 1);
    const p = createPipeline(run, { params, cfg, tok }, worldData(run));
    await p.step();
    device.dispatchEvent(Object.assign(new Event('uncapturederror'), { error: { message: 'Invalid CommandBuffer' } }));
    await expect(p.step()).rejects.toThrow('WebGPU error during distillation, step 2: Invalid CommandBuffer');
    await p.step(); // reported once: the caller decides whether to go on
    p.dispose();
    tf.dispose(Object.values(params));
  });
});

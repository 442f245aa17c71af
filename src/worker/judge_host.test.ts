// The worker's judge host (nano, WASM). Must hold: a checkpoint it does not hold is refused without its
// files and judged with them; traces stream as events whose last text per judgement is the final trace;
// the model cache keeps `keep` models and frees evicted ones (tensor count back to one model's);
// a cancelled request rejects with "cancelled"; requests run one at a time in order; an input check asks for
// the tokenizer files once, then reads the kept tokenizer (or a loaded model's), and a check overtaken by a
// newer one before it started is skipped. A cached real model ('model:' id) is opened from the model cache
// with no files sent: its chat template renders the prompt, its check reads its own tokenizer and context, the
// trace events count each judgement's tokens, and top-p reaches sampling (a tiny p is greedy). A PEFT adapter
// put on it changes its judgement, stays on when the model is evicted and reloaded, and taken off gives the
// base's judgement again; one of another model's shapes is refused naming the tensor and both shapes.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { encodeCheckpoint, paramsToCheckpoint, type CheckpointFiles } from '../engine/checkpoint';
import { presetConfig } from '../engine/config';
import { initParams } from '../engine/model';
import { switchTestBackend } from '../engine/test_backends';
import { defaultTokenizer } from '../engine/tokenizer';
import { checkJudgeInput } from '../train/judge';
import { modelFromFiles } from '../engine/checkpoint';
import { blobSource } from '../engine/hf/source';
import { testAdapterFiles } from '../engine/hf/test_adapter_files';
import { testModelFiles } from '../engine/hf/test_model_files';
import { createJudgeHost } from './judge_host';
import { cachedModelJudgeId, type JudgeRequest } from './judge_protocol';
import type { WorkerEvent } from './protocol';

const tok = defaultTokenizer();
const cfg = presetConfig('nano', {
  vocab_size: tok.vocabSize,
  bos_token_id: tok.bosId,
  eos_token_id: tok.eosId,
  pad_token_id: tok.padId,
});
const pair = { prompt: 'Name a color.', a: 'Blue.', b: 'Seven.' };
const decoding = { samples: 1, temperature: 1, seed: 1, maxNewTokens: 12 };

async function checkpointFiles(seed: number): Promise<CheckpointFiles> {
  const params = initParams(cfg, seed);
  const files = encodeCheckpoint(await paramsToCheckpoint(params, cfg, tok));
  tf.dispose(Object.values(params));
  return files;
}

describe('judge host (nano, WASM)', () => {
  let one: CheckpointFiles, two: CheckpointFiles;
  beforeAll(async () => {
    await switchTestBackend('wasm');
    [one, two] = [await checkpointFiles(1), await checkpointFiles(2)];
  });

  it('loads on demand, streams traces as events, keeps `keep` models and frees the evicted ones', async () => {
    const events: WorkerEvent[] = [];
    const before = tf.memory().numTensors;
    const host = createJudgeHost((e) => events.push(e), 1);
    const req = (id: string, files?: CheckpointFiles): JudgeRequest => ({
      requestId: `r-${id}-${events.length}`,
      checkpointId: id,
      files,
      pair,
      decoding,
    });

    await expect(host.judge(req('c1'))).rejects.toThrow(/does not hold checkpoint c1; send its files/);
    const r = await host.judge(req('c1', one));
    expect(await host.hasCheckpoint('c1')).toBe(true);
    const oneModel = tf.memory().numTensors - before;
    expect(oneModel).toBeGreaterThan(0);

    const traces = events.flatMap((e) => (e.kind === 'judge-trace' ? [e] : []));
    for (const j of [...r.shown, ...r.swapped]) {
      const last = traces.filter((t) => t.order === j.order && t.sample === j.sample).at(-1);
      expect(last?.text, j.order).toBe(j.trace);
    }
    expect(events.at(-1)?.kind).toBe('memory');

    const again = await host.judge(req('c1')); // held: no files needed, and greedy repeats
    expect(again.shown[0].generatedIds).toEqual(r.shown[0].generatedIds);

    await host.judge(req('c2', two));
    expect(host.loaded()).toEqual(['c2']); // c1 evicted ...
    expect(tf.memory().numTensors - before).toBe(oneModel); // ... and freed
    host.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('cancels a request at its next readback; requests queue one at a time', async () => {
    const before = tf.memory().numTensors;
    const order: string[] = [];
    const host = createJudgeHost((e) => {
      if (e.kind === 'judge-trace') order.push(e.requestId);
    });
    const long = { ...decoding, maxNewTokens: 60 };
    const a = host.judge({ requestId: 'a', checkpointId: 'c1', files: one, pair, decoding: long });
    const b = host.judge({ requestId: 'b', checkpointId: 'c1', pair, decoding });
    host.cancelJudge('a');
    await expect(a).rejects.toThrow('cancelled');
    const rb = await b;
    expect(rb.shown).toHaveLength(1);
    expect(order.every((id) => id === 'b')).toBe(true); // a was cancelled before its first readback
    host.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a cancel sent while generating on WASM is heard at the next readback, not after the end', async () => {
    const traces: number[] = [];
    const host = createJudgeHost((e) => {
      if (e.kind === 'judge-trace') traces.push(e.text.length);
    });
    const long = { ...decoding, maxNewTokens: 200, temperature: 1 };
    const a = host.judge({ requestId: 'a', checkpointId: 'c1', files: one, pair, decoding: long });
    setTimeout(() => host.cancelJudge('a'), 0); // the page's message: a macrotask
    await expect(a).rejects.toThrow('cancelled');
    expect(traces.length).toBeLessThan(4); // 200 tokens would stream at least ~12 readbacks (16 tokens each) per order
    host.dispose();
  });

  it('checks input with the tokenizer from the files sent once, or a loaded model; skips overtaken ones', async () => {
    const host = createJudgeHost(() => {});
    const { 'model.safetensors': _, ...vocabFiles } = one;
    const want = checkJudgeInput(tok, cfg.max_position_embeddings, pair);
    const check = (seq: number, checkpointId: string, files?: CheckpointFiles) =>
      host.checkInput({ seq, checkpointId, files, pair });
    expect(await check(1, 'c1')).toBe('send-files');
    expect(await check(2, 'c1', vocabFiles)).toEqual(want);
    expect(await check(3, 'c1')).toEqual(want); // kept
    await host.judge({ requestId: 'j', checkpointId: 'c2', files: two, pair, decoding });
    expect(await check(4, 'c2')).toEqual(want); // the loaded model's own tokenizer: no files needed
    const [older, newer] = await Promise.all([check(5, 'c1'), check(6, 'c1')]); // sent back to back
    expect(older).toBe('superseded');
    expect(newer).toEqual(want);
    host.dispose();
  });

  it('judges a cached real model opened from the cache, with its chat template, token counts and top-p', async () => {
    const files = testModelFiles();
    const opened: string[] = [];
    const openCached = async (cacheId: string) => {
      opened.push(cacheId);
      if (cacheId !== 'tiny') throw new Error(`No cached model "${cacheId}" (deleted?)`);
      return blobSource(
        'tiny',
        Object.entries(files).map(([path, bytes]) => ({ path, blob: new Blob([bytes as BlobPart]) })),
      );
    };
    const events: WorkerEvent[] = [];
    const before = tf.memory().numTensors;
    const host = createJudgeHost((e) => events.push(e), 2, openCached);
    const id = cachedModelJudgeId('tiny');
    const real = modelFromFiles(files);
    const want = checkJudgeInput(real.tok, real.cfg.max_position_embeddings, pair);
    tf.dispose(Object.values(real.params));
    expect(await host.checkInput({ seq: 1, checkpointId: id, pair })).toEqual(want); // no 'send-files'
    expect(want.contextLength).toBe(2048);

    const r = await host.judge({ requestId: 'real', checkpointId: id, pair, decoding });
    expect(r.shown[0].promptText).toContain('<|im_start|>system\n'); // the model's chat template
    expect(r.shown[0].promptText.endsWith('<|im_start|>assistant\n')).toBe(true);
    const traces = events.flatMap((e) => (e.kind === 'judge-trace' ? [e] : []));
    const last = traces.filter((t) => t.order === 'shown').at(-1)!;
    expect(last.tokens).toBe(r.shown[0].generatedIds.length);
    const counts = traces.map((t) => t.tokens);
    expect(counts).toEqual([...counts].sort((x, y) => x - y)); // counts grow readback by readback

    // a nucleus this small keeps only the most likely token: sampling it is greedy decoding
    const nucleus = { ...decoding, samples: 2, temperature: 1, topP: 1e-6 };
    const s = await host.judge({ requestId: 'top-p', checkpointId: id, pair, decoding: nucleus });
    expect(s.topP).toBe(1e-6);
    for (const j of s.shown) expect(j.generatedIds).toEqual(r.shown[0].generatedIds);
    await expect(
      host.judge({ requestId: 'gone', checkpointId: cachedModelJudgeId('gone'), pair, decoding }),
    ).rejects.toThrow('No cached model "gone"');
    expect(opened).toEqual(['tiny', 'tiny', 'gone']); // the check read its tokenizer, the judge its weights
    host.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('judges with a PEFT adapter on a cached model, kept across a reload; off, the base judges again', async () => {
    const files = testModelFiles();
    const openCached = async () =>
      blobSource(
        'tiny',
        Object.entries(files).map(([path, bytes]) => ({ path, blob: new Blob([bytes as BlobPart]) })),
      );
    const before = tf.memory().numTensors;
    const host = createJudgeHost(() => {}, 1, openCached);
    const id = cachedModelJudgeId('tiny');
    const judge = async (requestId: string) =>
      (await host.judge({ requestId, checkpointId: id, pair, decoding })).shown[0].generatedIds;
    const base = await judge('base');
    const info = await host.setAdapter(id, await testAdapterFiles(files, 'test-org/tiny'));
    expect(info).toMatchObject({ rank: 4, alpha: 8, rslora: false, baseModel: 'test-org/tiny' });
    expect(info?.tensors).toBe(2 * 7 * 2); // A and B on 7 projections of 2 layers
    const adapted = await judge('adapted');
    expect(adapted).not.toEqual(base);
    await host.judge({ requestId: 'evict', checkpointId: 'nano', files: one, pair, decoding }); // keep = 1
    expect(host.loaded()).toEqual(['nano']);
    expect(await judge('reloaded')).toEqual(adapted); // the adapter put on again
    const wrong = await testAdapterFiles(one, 'nano');
    await expect(host.setAdapter(id, wrong)).rejects.toThrow(
      'tensor "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight" is [4,16], the base needs [4,48]',
    );
    expect(await judge('kept')).toEqual(adapted); // a refused adapter leaves the one it had on
    expect(await host.setAdapter(id, null)).toBeNull();
    expect(await judge('off')).toEqual(base);
    await expect(host.setAdapter('nano', wrong)).rejects.toThrow(/a real model of the model cache/);
    host.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

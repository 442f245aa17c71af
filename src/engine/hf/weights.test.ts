// What must hold: a checkpoint's weights load bit-exactly from one file or from shards through their index,
// in F32, F16 and BF16; the loader reads one tensor's bytes at a time and holds at most one tensor beyond the
// model (counted by the reader and by an instrumented source; on WebGPU no host copy stays behind); what
// transformers leaves in files (rotary_emb.inv_freq, lm_head beside tied embeddings) is skipped; every
// broken checkpoint is refused naming the file and the tensor, with nothing left allocated.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../config';
import { switchTestBackend, testBackends } from '../test_backends';
import { safetensorsFile, TINY_VARIANTS, type TensorToWrite, tinyCheckpoint } from './tiny_checkpoint';
import { type FileSource, INDEX_FILE, type LoadStats, loadWeights, memorySource, weightsFromFiles } from './weights';

const byName = (name: string) => TINY_VARIANTS.find((v) => v.name === name)!;
const SHARDED = byName('qwen2-sharded-bf16');
const bytes = (s: unknown) => new TextEncoder().encode(JSON.stringify(s));
const configOf = (files: Record<string, Uint8Array>) =>
  validateConfig(JSON.parse(new TextDecoder().decode(files['config.json'])));

/** A source that records every range read and how many bytes it has handed out. */
function recording(files: Record<string, Uint8Array>) {
  const inner = memorySource(files);
  const reads: { name: string; start: number; end: number }[] = [];
  const source: FileSource = {
    read: inner.read,
    readRange: async (name, start, end) => {
      reads.push({ name, start, end });
      return (await inner.readRange(name, start, end)).slice(); // a fresh copy, as a file or a download gives
    },
  };
  return { source, reads };
}

describe.each(await testBackends())('weights on %s', (backend) => {
  beforeAll(() => switchTestBackend(backend));

  it('every variant (F32, F16, BF16; single file and shards) loads bit-exactly', async () => {
    for (const v of TINY_VARIANTS) {
      const { files, tensors } = tinyCheckpoint(v, 3);
      const params = await loadWeights(memorySource(files), configOf(files));
      expect(Object.keys(params).sort()).toEqual(Object.keys(tensors).sort());
      for (const [name, t] of Object.entries(tensors)) {
        expect(params[name].shape, name).toEqual(t.shape);
        expect(Array.from(await params[name].data()), `${v.name} ${name}`).toEqual(Array.from(t.data));
      }
      tf.dispose(Object.values(params));
    }
  });

  it('reads one tensor at a time and holds at most one tensor beyond the model', async () => {
    const { files, tensors } = tinyCheckpoint(SHARDED, 3);
    const { source, reads } = recording(files);
    let stats: LoadStats | null = null;
    const params = await loadWeights(source, configOf(files), { stats: (s) => (stats = s) });
    const sizes = Object.values(tensors).map((t) => 2 * t.data.length); // BF16 bytes
    const largest = Math.max(...sizes),
      total = sizes.reduce((a, b) => a + b, 0);
    // first, per shard, the 8-byte length and the header; then one read per tensor, of exactly its bytes
    const shards = Object.keys(files).filter((n) => n.endsWith('.safetensors'));
    expect(reads.slice(0, 2 * shards.length).map((r) => r.name)).toEqual(shards.flatMap((n) => [n, n]));
    const data = reads.slice(2 * shards.length).map((r) => r.end - r.start);
    expect(data.sort()).toEqual([...sizes].sort());
    // what the reader held at once: the largest tensor's raw bytes and its float32 form, never more
    expect(stats!.peakHeldBytes).toBe(largest + 2 * largest);
    expect(stats!.bytesRead).toBe(total);
    console.log(`peak held ${stats!.peakHeldBytes} bytes for a ${total}-byte BF16 model (largest tensor ${largest})`);
    if (backend === 'webgpu') {
      // tfjs keeps a new tensor's values on the host until first use; the loader uploads at once
      const held = Object.values(params).filter(
        (p) => (tf.backend() as WebGPUBackend).tensorMap.get(p.dataId).values !== null,
      );
      expect(held.map((p) => p.name)).toEqual([]);
    }
    tf.dispose(Object.values(params));
  });

  it('skips what transformers leaves in files: rotary_emb.inv_freq, lm_head.weight beside a tied head', async () => {
    const { files, tensors } = tinyCheckpoint(byName('llama-tied-bf16'), 3);
    const cfg = configOf(files);
    const extra = safetensorsFile([
      ...Object.entries(tensors).map(([n, t]): TensorToWrite => [n, 'BF16', t.shape, t.data]),
      ['lm_head.weight', 'BF16', tensors['model.embed_tokens.weight'].shape, tensors['model.embed_tokens.weight'].data],
      ['model.layers.0.self_attn.rotary_emb.inv_freq', 'F32', [4], new Float32Array(4)],
    ]);
    const params = weightsFromFiles({ ...files, 'model.safetensors': extra }, cfg);
    expect(Object.keys(params).sort()).toEqual(Object.keys(tensors).sort());
    tf.dispose(Object.values(params));
  });
});

describe('broken weights are refused naming the file and the tensor, leaving nothing allocated', () => {
  beforeAll(() => switchTestBackend('cpu'));
  const { files, tensors } = tinyCheckpoint(SHARDED, 3);
  const cfg = configOf(files);
  const index = JSON.parse(new TextDecoder().decode(files[INDEX_FILE]));
  const [shard1, shard2] = ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors'];
  const inShard2 = Object.keys(index.weight_map).find((n) => index.weight_map[n] === shard2)!;
  const without = (name: string) => Object.fromEntries(Object.entries(files).filter(([n]) => n !== name));
  const cases: [string, () => Record<string, Uint8Array>, string | RegExp][] = [
    ['a missing shard', () => without(shard2), `${shard2}: missing`],
    [
      'an index that maps a tensor to another shard',
      () => ({ ...files, [INDEX_FILE]: bytes({ weight_map: { ...index.weight_map, [inShard2]: shard1 } }) }),
      `${INDEX_FILE}: maps tensor "${inShard2}" to ${shard1}, but it is in ${shard2}`,
    ],
    [
      'an index that names a path',
      () => ({ ...files, [INDEX_FILE]: bytes({ weight_map: { [inShard2]: '../model.safetensors' } }) }),
      `tensor "${inShard2}" maps to "../model.safetensors", not a .safetensors file name`,
    ],
    [
      'an index without its map',
      () => ({ ...files, [INDEX_FILE]: bytes({ metadata: {} }) }),
      'missing its "weight_map"',
    ],
    [
      'a truncated shard',
      () => ({ ...files, [shard2]: files[shard2].subarray(0, files[shard2].length - 10) }),
      // in memory the size is known; through a source the read past the end fails
      new RegExp(
        `${shard2}: (tensor "[\\w.]+" has data_offsets \\[\\d+, \\d+\\] out of range|\\d+ bytes, but bytes up to)`,
      ),
    ],
    [
      'a header that is not JSON',
      () => ({ ...files, [shard1]: Uint8Array.of(4, 0, 0, 0, 0, 0, 0, 0, 123, 125, 125, 32) }),
      `${shard1}: header is not valid JSON`,
    ],
  ];
  for (const [what, make, msg] of cases)
    it(`refuses ${what}`, async () => {
      const before = tf.memory().numTensors;
      expect(() => weightsFromFiles(make(), cfg)).toThrow(msg);
      await expect(loadWeights(memorySource(make()), cfg)).rejects.toThrow(msg);
      expect(tf.memory().numTensors).toBe(before);
    });

  it('refuses wrong shapes, missing and unexpected tensors, all listed at once with their files', () => {
    const k = 'model.layers.0.self_attn.k_proj.weight', // [8, 56]
      bias = 'model.layers.1.self_attn.k_proj.bias',
      o = 'model.layers.1.self_attn.o_proj.bias'; // Qwen2 has no o bias
    const entries = Object.entries(tensors)
      .filter(([n]) => n !== bias)
      .map(([n, t]): TensorToWrite => [n, 'BF16', n === k ? [56, 8] : t.shape, t.data]);
    entries.push([o, 'BF16', [56], new Float32Array(56)]);
    const single = { ...without(INDEX_FILE), 'model.safetensors': safetensorsFile(entries) };
    let message = '';
    try {
      weightsFromFiles(single, cfg);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('checkpoint does not match its config.json:');
    expect(message).toContain(`model.safetensors: tensor "${k}" has shape [56,8], expected [8,56]`);
    expect(message).toContain(`model.safetensors: tensor "${bias}" is missing`);
    expect(message).toContain(`model.safetensors: unexpected tensor "${o}" (not in the model for this config.json)`);
  });

  it('refuses NaN and infinite BF16 weights naming the shard, the tensor and the first index', async () => {
    const name = Object.keys(index.weight_map).find((n) => index.weight_map[n] === shard2 && n.endsWith('weight'))!;
    const bad = Object.fromEntries(
      Object.entries(tensors)
        .filter(([n]) => index.weight_map[n] === shard2)
        .map(([n, t]) => {
          const data = t.data.slice();
          if (n === name) [data[3], data[5]] = [Number.NaN, Number.NEGATIVE_INFINITY];
          return [n, { shape: t.shape, data }];
        }),
    );
    const shard = safetensorsFile(Object.entries(bad).map(([n, t]) => [n, 'BF16', t.shape, t.data]));
    const before = tf.memory().numTensors;
    await expect(loadWeights(memorySource({ ...files, [shard2]: shard }), cfg)).rejects.toThrow(
      `${shard2}: tensor "${name}" holds 2 NaN/Inf values; the first is NaN at index 3`,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});

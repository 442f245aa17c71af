// What must hold: a nano checkpoint round-trips through its three files bit-exactly (and through tf
// tensors); each kind of broken checkpoint is refused with a message naming the file, the tensor or the
// field; NaN and ±Inf weights (F32, F16, BF16) are refused naming the tensor, the count and the first index.
// Loading a model: a checkpoint of ours written before the family grew loads unchanged (config, weights, our
// tokenizer, trainable); a Hugging Face folder loads with its own tokenizer (from memory or a FileSource),
// may have more embedding rows than tokens but not fewer, and is refused for training.
// Runs on WASM (nano shapes).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { presetConfig, type LlamaConfig } from './config';
import {
  checkpointToTensors,
  decodeCheckpoint,
  encodeCheckpoint,
  modelFromFiles,
  modelFromSource,
  paramsToCheckpoint,
  type Checkpoint,
  type CheckpointFiles,
} from './checkpoint';
import { loadCheckpointDir } from './checkpoint_node';
import { HFTokenizer } from './hf/tokenizer';
import { TINY_VARIANTS, tinyCheckpoint } from './hf/tiny_checkpoint';
import { memorySource } from './hf/weights';
import { initNodeBackend } from './node_webgpu';
import { paramShapes } from './param_names';
import { createRng } from './rng';
import { writeSafetensors } from './safetensors';
import { defaultTokenizer, Tokenizer } from './tokenizer';

const tok = defaultTokenizer();
const cfg: LlamaConfig = presetConfig('nano', {
  vocab_size: tok.vocabSize,
  bos_token_id: tok.bosId,
  eos_token_id: tok.eosId,
  pad_token_id: tok.padId,
});
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

function randomCheckpoint(seed = 1): Checkpoint {
  const rng = createRng(seed);
  const tensors: Checkpoint['tensors'] = {};
  for (const [name, shape] of Object.entries(paramShapes(cfg))) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => rng.normal() * 0.02);
    tensors[name] = { shape, data };
  }
  const e = tensors['model.embed_tokens.weight'].data; // values whose bits are easy to lose (finite: NaN is refused)
  new Uint32Array(e.buffer, 0, 3).set([0x80000000, 0x00000001, 0x807fffff]);
  return { config: cfg, tensors, tokenizer: tok.toHFJson() };
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

beforeAll(async () => {
  await initNodeBackend('wasm');
});

describe('checkpoint files', () => {
  it('round-trips a nano checkpoint bit-exactly', () => {
    const ckpt = randomCheckpoint();
    const files = encodeCheckpoint(ckpt);
    expect(Object.keys(files).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expect(JSON.parse(text(files['config.json']))).toMatchObject({
      model_type: 'llama',
      hidden_size: 16,
      vocab_size: 120,
    });
    const back = decodeCheckpoint(files);
    expect(back.config).toEqual(cfg);
    expect(back.tokenizer).toEqual(ckpt.tokenizer);
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(ckpt.tensors).sort());
    for (const [name, t] of Object.entries(ckpt.tensors)) {
      expect(back.tensors[name].shape, name).toEqual(t.shape);
      expect(bits(back.tensors[name].data), name).toEqual(bits(t.data));
    }
  });

  it('round-trips through tf tensors (paramsToCheckpoint ∘ checkpointToTensors)', async () => {
    const ckpt = randomCheckpoint(2);
    const params = Object.fromEntries(Object.entries(checkpointToTensors(ckpt)).map(([n, t]) => [n, tf.variable(t)]));
    const again = await paramsToCheckpoint(params, cfg, tok);
    for (const [name, t] of Object.entries(ckpt.tensors))
      expect(bits(again.tensors[name].data), name).toEqual(bits(t.data));
    expect(again.tokenizer).toEqual(tok.toHFJson());
    tf.dispose(Object.values(params));
  });

  it('refuses parameters that do not match the config', async () => {
    const w = tf.zeros([2, 2]);
    await expect(paramsToCheckpoint({ 'model.norm.weight': w }, cfg, tok)).rejects.toThrow(
      /tensor "model.embed_tokens.weight" is missing/,
    );
    w.dispose();
  });

  const good = encodeCheckpoint(randomCheckpoint());
  const withTensors = (edit: (t: Checkpoint['tensors']) => void): CheckpointFiles => {
    const c = randomCheckpoint();
    edit(c.tensors);
    return { ...good, 'model.safetensors': writeSafetensors(c.tensors) };
  };
  const q = 'model.layers.0.self_attn.q_proj.weight';
  const broken: [string, () => CheckpointFiles, RegExp][] = [
    [
      'a missing file',
      () => ({ 'config.json': good['config.json'] }),
      /checkpoint: missing model.safetensors, tokenizer.json/,
    ],
    [
      'config.json that is not JSON',
      () => ({ ...good, 'config.json': bytes('{"hidden_size": 16,') }),
      /config.json: not valid JSON/,
    ],
    [
      'config.json with a bad field',
      () => ({ ...good, 'config.json': bytes(JSON.stringify({ ...cfg, hidden_size: 0 })) }),
      /config.json: "hidden_size" must be a positive integer/,
    ],
    [
      'a truncated model.safetensors',
      () => ({
        ...good,
        'model.safetensors': good['model.safetensors'].subarray(0, good['model.safetensors'].length - 100),
      }),
      /model.safetensors: tensor ".*" has data_offsets \[\d+, \d+\] out of range/,
    ],
    [
      'a garbage safetensors header',
      () => {
        const b = good['model.safetensors'].slice();
        b.fill(0x41, 8, 40);
        return { ...good, 'model.safetensors': b };
      },
      /model.safetensors: header is not valid JSON/,
    ],
    [
      'a header length beyond the file',
      () => {
        const b = good['model.safetensors'].slice();
        new DataView(b.buffer).setBigUint64(0, 1n << 33n, true);
        return { ...good, 'model.safetensors': b };
      },
      /model.safetensors: header length 8589934592 is beyond the file/,
    ],
    [
      'a missing tensor',
      () => withTensors((t) => delete t['model.layers.1.mlp.up_proj.weight']),
      /model.safetensors: tensor "model.layers.1.mlp.up_proj.weight" is missing/,
    ],
    [
      'a tensor of the wrong shape',
      () => withTensors((t) => (t[q] = { shape: [16, 8], data: new Float32Array(128) })),
      /model.safetensors: tensor "model.layers.0.self_attn.q_proj.weight" has shape \[16,8\], expected \[16,16\]/,
    ],
    [
      'an extra tensor',
      () =>
        withTensors((t) => (t['model.layers.2.input_layernorm.weight'] = { shape: [16], data: new Float32Array(16) })),
      /unexpected tensor "model.layers.2.input_layernorm.weight"/,
    ],
    [
      'a tensor named "constructor" (a member of every object, not of this model)',
      () => withTensors((t) => Object.defineProperty(t, 'constructor', { value: t[q], enumerable: true })),
      /unexpected tensor "constructor"/,
    ],
    [
      'a tensor named "__proto__"',
      () => withTensors((t) => Object.defineProperty(t, '__proto__', { value: t[q], enumerable: true })),
      /unexpected tensor "__proto__"/,
    ],
    [
      'a tokenizer that does not match vocab_size',
      () => ({ ...good, 'config.json': bytes(JSON.stringify({ ...cfg, vocab_size: 128 })) }),
      /tokenizer.json: vocabulary has 120 tokens but config.json vocab_size is 128/,
    ],
    [
      'special ids that disagree with the tokenizer',
      () => ({ ...good, 'config.json': bytes(JSON.stringify({ ...cfg, eos_token_id: 7 })) }),
      /config.json: eos_token_id is 7 but tokenizer.json gives 2/,
    ],
    [
      'a broken tokenizer.json',
      () => ({ ...good, 'tokenizer.json': bytes('{"model": {"type": "BPE"}}') }),
      /tokenizer.json: missing model.vocab/,
    ],
  ];
  for (const [what, make, msg] of broken) {
    it(`refuses ${what}`, () => {
      expect(() => decodeCheckpoint(make())).toThrow(msg);
    });
  }

  it('lists every tensor problem at once', () => {
    const files = withTensors((t) => {
      delete t['model.norm.weight'];
      t[q] = { shape: [16, 8], data: new Float32Array(128) };
    });
    expect(() => decodeCheckpoint(files)).toThrow(
      /"model.layers.0.self_attn.q_proj.weight" has shape[\s\S]*"model.norm.weight" is missing/,
    );
  });
});

/** model.safetensors with every tensor in a 16-bit dtype: zeros, except raw `bits` at chosen indices. */
function halfFile(dtype: 'F16' | 'BF16', bad: { name: string; at: number; bits: number }[]): Uint8Array {
  const header: Record<string, unknown> = {};
  const parts: Uint16Array[] = [];
  let offset = 0;
  for (const [name, shape] of Object.entries(paramShapes(cfg))) {
    const data = new Uint16Array(shape.reduce((a, b) => a * b, 1));
    for (const b of bad) if (b.name === name) data[b.at] = b.bits;
    header[name] = { dtype, shape, data_offsets: [offset, offset + 2 * data.length] };
    parts.push(data);
    offset += 2 * data.length;
  }
  const h = bytes(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  let at = 8 + h.length;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer), at); // test hosts are little-endian
    at += p.byteLength;
  }
  return out;
}

describe('NaN/Inf weights are refused on load', () => {
  const up = 'model.layers.1.mlp.up_proj.weight'; // [32, 16]
  const norm = 'model.norm.weight';
  const good = encodeCheckpoint(randomCheckpoint());
  const refused = (files: CheckpointFiles): string => {
    try {
      decodeCheckpoint(files);
    } catch (e) {
      expect(() => modelFromFiles(files)).toThrow((e as Error).message); // the loader says the same
      return (e as Error).message;
    }
    return 'loaded';
  };

  it('F32: names the file, the tensor, the count and the first bad index', () => {
    const c = randomCheckpoint();
    const d = c.tensors[up].data;
    [d[37], d[40], d[511]] = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    c.tensors[norm].data[3] = Number.NEGATIVE_INFINITY;
    const msg = refused({ ...good, 'model.safetensors': writeSafetensors(c.tensors) });
    expect(msg).toMatch(/NaN or infinite/);
    expect(msg).toContain(
      `model.safetensors: tensor "${up}" holds 3 NaN/Inf values; the first is NaN at index 37 [2, 5]`,
    );
    expect(msg).toContain(
      `model.safetensors: tensor "${norm}" holds 1 NaN/Inf value; the first is -Infinity at index 3 [3]`,
    );
  });

  it('F16 and BF16: NaN and ±Inf bit patterns are refused the same way', () => {
    const f16 = halfFile('F16', [
      { name: up, at: 100, bits: 0x7c00 }, // +Inf
      { name: up, at: 200, bits: 0x7e00 }, // NaN
      { name: norm, at: 0, bits: 0xfd01 }, // a NaN with a payload
    ]);
    const m16 = refused({ ...good, 'model.safetensors': f16 });
    expect(m16).toContain(`tensor "${up}" holds 2 NaN/Inf values; the first is Infinity at index 100 [6, 4]`);
    expect(m16).toContain(`tensor "${norm}" holds 1 NaN/Inf value; the first is NaN at index 0 [0]`);
    const bf16 = halfFile('BF16', [
      { name: 'model.embed_tokens.weight', at: 5, bits: 0xff80 }, // -Inf
      { name: 'model.embed_tokens.weight', at: 6, bits: 0x7fc1 }, // NaN
    ]);
    expect(refused({ ...good, 'model.safetensors': bf16 })).toContain(
      'tensor "model.embed_tokens.weight" holds 2 NaN/Inf values; the first is -Infinity at index 5 [0, 5]',
    );
    // the same files with finite values load: the check is not a dtype check
    expect(refused({ ...good, 'model.safetensors': halfFile('F16', [{ name: up, at: 100, bits: 0x7bff }]) })).toBe(
      'loaded',
    );
    expect(refused({ ...good, 'model.safetensors': halfFile('BF16', []) })).toBe('loaded');
  });
});

describe('loading a model', () => {
  it('ours from before the family grew loads unchanged: config, weights bit for bit, our tokenizer', async () => {
    const files = await loadCheckpointDir('e2e/fixtures/nano-judge');
    const old = decodeCheckpoint(files);
    const m = modelFromFiles(files);
    expect(m.cfg).toEqual(JSON.parse(text(files['config.json'])));
    expect(m.tok).toBeInstanceOf(Tokenizer);
    expect(Object.keys(m.params).sort()).toEqual(Object.keys(old.tensors).sort());
    for (const [name, t] of Object.entries(old.tensors))
      expect(bits((await m.params[name].data()) as Float32Array), name).toEqual(bits(t.data));
    tf.dispose(Object.values(m.params));
  });

  it('an HF folder loads with its own tokenizer, in memory or from a source, keeping its tokenizer files', async () => {
    const { files } = tinyCheckpoint(TINY_VARIANTS.find((v) => v.name === 'qwen2-sharded-bf16')!);
    for (const m of [modelFromFiles(files), await modelFromSource(memorySource(files))]) {
      expect(m.tok).toBeInstanceOf(HFTokenizer);
      expect([m.cfg.model_type, m.cfg.vocab_size, m.tok.vocabSize, m.tok.bosId]).toEqual(['qwen2', 576, 559, null]);
      expect(m.params['model.layers.0.self_attn.q_proj.bias'].shape).toEqual([56]);
      // what its training checkpoints carry, byte for byte
      expect(Object.keys(m.tokenizerFiles ?? {}).sort()).toEqual([
        'generation_config.json',
        'tokenizer.json',
        'tokenizer_config.json',
      ]);
      expect(m.tokenizerFiles?.['tokenizer.json']).toEqual(files['tokenizer.json']);
      tf.dispose(Object.values(m.params));
    }
  });

  it('refuses a tokenizer with more tokens than the embedding has rows, and a folder without weights', () => {
    const { files } = tinyCheckpoint(TINY_VARIANTS[0]);
    const config = JSON.parse(text(files['config.json']));
    expect(() =>
      modelFromFiles({
        ...files,
        'config.json': bytes(JSON.stringify({ ...config, vocab_size: 558, eos_token_id: 557 })),
      }),
    ).toThrow('tokenizer.json: vocabulary has 559 tokens but config.json vocab_size is only 558');
    const { 'model.safetensors': _, ...noWeights } = files;
    expect(() => modelFromFiles(noWeights)).toThrow(
      'checkpoint: missing model.safetensors (or model.safetensors.index.json and its shards)',
    );
  });
});

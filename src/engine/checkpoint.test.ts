// What must hold: a nano checkpoint round-trips through its three files bit-exactly (and through tf
// tensors); each kind of broken checkpoint is refused with a message naming the file, the tensor or the
// field. Runs on WASM (nano shapes).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { presetConfig, type LlamaConfig } from './config';
import {
  checkpointToTensors,
  decodeCheckpoint,
  encodeCheckpoint,
  paramsToCheckpoint,
  type Checkpoint,
  type CheckpointFiles,
} from './checkpoint';
import { initNodeBackend } from './node_webgpu';
import { paramShapes } from './param_names';
import { createRng } from './rng';
import { writeSafetensors } from './safetensors';
import { defaultTokenizer } from './tokenizer';

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
  const e = tensors['model.embed_tokens.weight'].data; // values whose bits are easy to lose
  new Uint32Array(e.buffer, 0, 3).set([0x80000000, 0x00000001, 0x7fc00001]);
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

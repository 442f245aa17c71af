// PEFT adapters: export → import gives the same adapters, settings and logits; the files are what PEFT
// writes and reads (header parsed by hand here: tensor names, [r, in] / [out, r] shapes, F32, format "pt";
// every LoraConfig key with PEFT's defaults); import refuses, naming file and field, adapters that do not fit
// the base or use options we do not run; the merged checkpoint loads as a plain Hugging Face model in the
// base's dtype and gives the adapted logits (1e-5 in F32; in BF16, weights exactly bf16(W + s·B·A)).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { modelFromFiles } from '../checkpoint';
import { presetConfig } from '../config';
import { addLora, LORA_TARGETS, type LoraSettings, loraParams, mergedWeight } from '../lora';
import { forward, initParams, type ModelParams } from '../model';
import { bf16ToFloat, f32BitsToBf16Bits, readSafetensors } from '../safetensors';
import { switchTestBackend } from '../test_backends';
import {
  ADAPTER_CONFIG,
  ADAPTER_WEIGHTS,
  exportMerged,
  exportPeftAdapter,
  importPeftAdapter,
  peftConfig,
  readPeftAdapter,
} from './peft';
import { TINY_VARIANTS, tinyCheckpoint } from './tiny_checkpoint';
import { SINGLE_FILE } from './weights';

const cfg = presetConfig('nano', { vocab_size: 40, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 });
const S: LoraSettings = { rank: 4, alpha: 16, dropout: 0.05, targets: LORA_TARGETS, rslora: true };
const BASE = 'HuggingFaceTB/SmolLM2-135M-Instruct';

function randomiseB(params: ModelParams, seed: number): void {
  let s = seed;
  for (const [name, v] of Object.entries(loraParams(params)))
    if (name.endsWith('lora_B.weight')) {
      const b = tf.randomNormal(v.shape, 0, 0.1, 'float32', s++);
      v.assign(b);
      b.dispose(); // assign shares the data; the handle is ours
    }
}

async function logitsOf(params: ModelParams, c = cfg): Promise<Float32Array> {
  const ids = tf.tensor2d([[1, 5, 9, 4, 7, 3, 30]], undefined, 'int32');
  const y = forward(params, c, ids);
  const out = (await y.data()) as Float32Array;
  tf.dispose([y, ids]);
  return out;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** The safetensors header by hand (8-byte little-endian length, then JSON), independent of our reader. */
function headerByHand(bytes: Uint8Array): Record<string, { dtype: string; shape: number[] } | Record<string, string>> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}

const edit = (files: Record<string, Uint8Array>, change: (c: Record<string, unknown>) => void) => {
  const c = JSON.parse(new TextDecoder().decode(files[ADAPTER_CONFIG]));
  change(c);
  return { ...files, [ADAPTER_CONFIG]: new TextEncoder().encode(JSON.stringify(c)) };
};

describe('PEFT adapters', () => {
  beforeAll(() => switchTestBackend('cpu'));

  it('export → import round trip: the same settings, adapters (bitwise) and logits', async () => {
    const params = initParams(cfg, 1);
    addLora(params, cfg, S, { seed: 2 });
    randomiseB(params, 3);
    const files = await exportPeftAdapter(params, cfg, S, BASE);
    const fresh = initParams(cfg, 1);
    const { settings, baseModel } = importPeftAdapter(fresh, cfg, files);
    expect(settings).toEqual({ ...S, targets: [...LORA_TARGETS] });
    expect(baseModel).toBe(BASE);
    for (const [n, v] of Object.entries(loraParams(params)))
      expect(Array.from(await fresh[n].data()), n).toEqual(Array.from(await v.data()));
    expect(maxAbsDiff(await logitsOf(fresh), await logitsOf(params))).toBe(0);
    expect(Object.values(fresh).filter((v) => v.trainable)).toHaveLength(Object.keys(loraParams(fresh)).length);
    tf.dispose([...Object.values(params), ...Object.values(fresh)]);
  });

  it('writes the names, shapes, dtype and config keys PEFT writes', async () => {
    const params = initParams(cfg, 1);
    const s: LoraSettings = { ...S, targets: ['q_proj', 'v_proj', 'down_proj'], rslora: false };
    addLora(params, cfg, s, { seed: 2 });
    const files = await exportPeftAdapter(params, cfg, s, BASE);
    expect(Object.keys(files).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const header = headerByHand(files[ADAPTER_WEIGHTS]);
    expect(header.__metadata__).toEqual({ format: 'pt' });
    const C = cfg.hidden_size,
      D = C / cfg.num_attention_heads,
      I = cfg.intermediate_size;
    const want: Record<string, number[]> = {};
    for (let l = 0; l < cfg.num_hidden_layers; l++) {
      const pre = `base_model.model.model.layers.${l}.`;
      want[`${pre}self_attn.q_proj.lora_A.weight`] = [4, C];
      want[`${pre}self_attn.q_proj.lora_B.weight`] = [cfg.num_attention_heads * D, 4];
      want[`${pre}self_attn.v_proj.lora_A.weight`] = [4, C];
      want[`${pre}self_attn.v_proj.lora_B.weight`] = [cfg.num_key_value_heads * D, 4];
      want[`${pre}mlp.down_proj.lora_A.weight`] = [4, I];
      want[`${pre}mlp.down_proj.lora_B.weight`] = [C, 4];
    }
    const got = Object.fromEntries(
      Object.entries(header)
        .filter(([n]) => n !== '__metadata__')
        .map(([n, e]) => [n, (e as { shape: number[] }).shape]),
    );
    expect(got).toEqual(want);
    for (const [n, e] of Object.entries(header))
      if (n !== '__metadata__') expect((e as { dtype: string }).dtype).toBe('F32');
    const config = JSON.parse(new TextDecoder().decode(files[ADAPTER_CONFIG]));
    // PEFT 0.15's LoraConfig as save_pretrained writes it
    expect(Object.keys(config).sort()).toEqual(
      [
        'alpha_pattern',
        'auto_mapping',
        'base_model_name_or_path',
        'bias',
        'corda_config',
        'eva_config',
        'exclude_modules',
        'fan_in_fan_out',
        'inference_mode',
        'init_lora_weights',
        'layer_replication',
        'layers_pattern',
        'layers_to_transform',
        'loftq_config',
        'lora_alpha',
        'lora_bias',
        'lora_dropout',
        'megatron_config',
        'megatron_core',
        'modules_to_save',
        'peft_type',
        'r',
        'rank_pattern',
        'revision',
        'target_modules',
        'task_type',
        'trainable_token_indices',
        'use_dora',
        'use_rslora',
      ].sort(),
    );
    expect(config).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 4,
      lora_alpha: 16,
      lora_dropout: 0.05,
      target_modules: ['q_proj', 'v_proj', 'down_proj'],
      bias: 'none',
      base_model_name_or_path: BASE,
      use_rslora: false,
      use_dora: false,
    });
    tf.dispose(Object.values(params));
  });

  it('reads an adapter written elsewhere: all-linear, module paths as targets, PEFT defaults left out', async () => {
    const params = initParams(cfg, 1);
    addLora(params, cfg, S, { seed: 2 });
    const files = await exportPeftAdapter(params, cfg, S, BASE);
    const shapes = Object.fromEntries(Object.entries(initParams(cfg, 1)).map(([n, v]) => [n, v.shape]));
    const allLinear = edit(files, (c) => {
      c.target_modules = 'all-linear';
      delete c.alpha_pattern;
      delete c.lora_bias;
    });
    expect(readPeftAdapter(allLinear, cfg, shapes).settings.targets).toEqual([...LORA_TARGETS]);
    const paths = edit(files, (c) => {
      c.target_modules = LORA_TARGETS.map((t) => (t.endsWith('_proj') && t.length === 6 ? `self_attn.${t}` : t));
    });
    expect(readPeftAdapter(paths, cfg, shapes).settings.targets).toEqual([...LORA_TARGETS]);
    tf.dispose(Object.values(params));
  });

  it('refuses, naming file and field, adapters that do not fit or use options we do not run', async () => {
    const params = initParams(cfg, 1);
    addLora(params, cfg, S, { seed: 2 });
    const files = await exportPeftAdapter(params, cfg, S, BASE);
    const shapes = Object.fromEntries(Object.entries(initParams(cfg, 1)).map(([n, v]) => [n, v.shape]));
    const refuse = (f: Record<string, Uint8Array>, re: RegExp) =>
      expect(() => readPeftAdapter(f, cfg, shapes)).toThrow(re);
    refuse(
      edit(files, (c) => {
        c.bias = 'all';
      }),
      /adapter_config\.json: bias is "all"/,
    );
    refuse(
      edit(files, (c) => {
        c.use_dora = true;
      }),
      /adapter_config\.json: use_dora is true.*DoRA/,
    );
    refuse(
      edit(files, (c) => {
        c.layers_to_transform = [0];
      }),
      /adapter_config\.json: layers_to_transform is \[0\]/,
    );
    refuse(
      edit(files, (c) => {
        c.rank_pattern = { q_proj: 8 };
      }),
      /adapter_config\.json: rank_pattern/,
    );
    refuse(
      edit(files, (c) => {
        c.peft_type = 'IA3';
      }),
      /adapter_config\.json: peft_type is "IA3"/,
    );
    refuse(
      edit(files, (c) => {
        c.target_modules = ['q_proj', 'lm_head'];
      }),
      /adapter_config\.json: target_modules .*"lm_head"/,
    );
    refuse(
      edit(files, (c) => {
        c.target_modules = '.*proj';
      }),
      /target_modules ".\*proj": a regular expression/,
    );
    // a rank the tensors do not have: every tensor named with both shapes
    refuse(
      edit(files, (c) => {
        c.r = 8;
      }),
      /adapter_model\.safetensors does not fit[\s\S]*q_proj\.lora_A\.weight" is \[4,16\], the base needs \[8,16\]/,
    );
    // fewer targets in the config than tensors in the file
    refuse(
      edit(files, (c) => {
        c.target_modules = ['q_proj'];
      }),
      /k_proj\.lora_A\.weight" is not an adapter/,
    );
    // a base of another size
    const wide = presetConfig(
      'nano',
      { vocab_size: 40, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 },
      {
        hidden_size: 32,
      },
    );
    const wideShapes = Object.fromEntries(Object.entries(initParams(wide, 1)).map(([n, v]) => [n, v.shape]));
    expect(() => readPeftAdapter(files, wide, wideShapes)).toThrow(/the base needs \[4,32\]/);
    const { [ADAPTER_WEIGHTS]: _, ...noWeights } = files;
    refuse(noWeights, /missing adapter_model\.safetensors/);
    refuse({ ...files, [ADAPTER_CONFIG]: new TextEncoder().encode('{') }, /adapter_config\.json: not valid JSON/);
    tf.dispose(Object.values(params));
  });

  it('merged export (F32 base) loads as a plain model and gives the adapted logits (1e-5)', async () => {
    const v = TINY_VARIANTS.find((t) => t.dtype === 'F32')!;
    const ck = tinyCheckpoint(v, 4);
    const m = modelFromFiles(ck.files);
    addLora(m.params, m.cfg, { ...S, rank: 2 }, { seed: 5 });
    randomiseB(m.params, 6);
    const adapted = await logitsOf(m.params, m.cfg);
    const tokenizerFiles = Object.fromEntries(
      Object.entries(ck.files).filter(([n]) => n.startsWith('tokenizer') || n === 'generation_config.json'),
    );
    const out = await exportMerged(m.params, m.cfg, tokenizerFiles);
    expect(Object.keys(readSafetensors(out[SINGLE_FILE]).tensors).some((n) => n.includes('lora'))).toBe(false);
    const merged = modelFromFiles(out);
    expect(maxAbsDiff(await logitsOf(merged.params, merged.cfg), adapted)).toBeLessThanOrEqual(1e-5);
    tf.dispose([...Object.values(m.params), ...Object.values(merged.params)]);
  });

  it('merged export keeps a BF16 base in BF16: a merged weight is bf16(W + s·B·A), others unchanged', async () => {
    const v = TINY_VARIANTS.find((t) => t.dtype === 'BF16' && t.shards === 1)!;
    const ck = tinyCheckpoint(v, 4);
    const m = modelFromFiles(ck.files);
    addLora(m.params, m.cfg, { ...S, targets: ['o_proj', 'up_proj'] }, { seed: 5 });
    randomiseB(m.params, 6);
    const out = await exportMerged(m.params, m.cfg);
    const header = headerByHand(out[SINGLE_FILE]);
    expect((header['model.layers.0.self_attn.o_proj.weight'] as { dtype: string }).dtype).toBe('BF16');
    expect(JSON.parse(new TextDecoder().decode(out['config.json'])).torch_dtype).toBe('bfloat16');
    const st = readSafetensors(out[SINGLE_FILE]).tensors;
    const o = 'model.layers.1.self_attn.o_proj';
    const want = await mergedWeight(m.params, o).data();
    const bits = new Uint32Array(Float32Array.from(want).buffer);
    expect(Array.from(st[`${o}.weight`].data)).toEqual(Array.from(bits, (b) => bf16ToFloat(f32BitsToBf16Bits(b))));
    const q = 'model.layers.1.self_attn.q_proj.weight';
    expect(Array.from(st[q].data)).toEqual(Array.from(ck.tensors[q].data));
    tf.dispose(Object.values(m.params));
  });

  it('peftConfig refuses settings it cannot write', () => {
    expect(() => peftConfig({ ...S, rank: 0 }, BASE)).toThrow(/adapter_config\.json: rank/);
  });
});

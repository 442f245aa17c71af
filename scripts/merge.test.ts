// `npm run merge`: a PEFT adapter merged into its base gives a Hugging Face checkpoint whose logits are the
// adapted model's (base + s·B·A, computed by the adapters' own path) to 1e-5; its files parse back with our
// safetensors reader and with python3 reading the header by hand (struct + json: names, dtypes, shapes and
// byte ranges that tile the data), in the base's dtype, with no adapter tensors. From the Hub (the stand-in)
// for both model and adapter, a BF16 base stays BF16 and a different base_model_name_or_path is a warning
// naming both; an adapter of another base's shapes is refused naming the tensor and both shapes.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFromFiles } from '../src/engine/checkpoint';
import { exportPeftAdapter } from '../src/engine/hf/peft';
import { startTestHub, type TestHub } from '../src/engine/hf/test_hub_server';
import { TINY_VARIANTS, tinyCheckpoint } from '../src/engine/hf/tiny_checkpoint';
import { addLora, LORA_TARGETS, type LoraSettings, loraParams } from '../src/engine/lora';
import { forward, type ModelParams } from '../src/engine/model';
import { readSafetensors } from '../src/engine/safetensors';
import { runScript } from './run_script';

const hasPython = spawnSync('python3', ['--version']).status === 0;
if (!hasPython) console.warn('merge.test: the python3 header check is skipped, python3 is not on this machine');

const merge = (args: string[], env: Record<string, string> = {}) => runScript('merge.ts', args, env);

const S: LoraSettings = { rank: 3, alpha: 12, dropout: 0.1, targets: LORA_TARGETS, rslora: false };
const root = mkdtempSync(join(tmpdir(), 'rl-merge-'));
const folder = (name: string, files: Record<string, Uint8Array>) => {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [n, bytes] of Object.entries(files)) writeFileSync(join(dir, n), bytes);
  return dir;
};
const readFolder = (dir: string) =>
  Object.fromEntries(readdirSync(dir).map((n) => [n, new Uint8Array(readFileSync(join(dir, n)))]));

function logitsOf(params: ModelParams, cfg: Parameters<typeof forward>[1]): Float32Array {
  return tf.tidy(() =>
    forward(params, cfg, tf.tensor2d([[1, 5, 9, 4, 7, 3]], undefined, 'int32')).dataSync(),
  ) as Float32Array;
}

/** An adapter trained (here: drawn) on a base: its PEFT files and the adapted model's logits. */
async function adapterFor(files: Record<string, Uint8Array>, baseName: string, seed: number) {
  const m = modelFromFiles(files);
  addLora(m.params, m.cfg, S, { seed });
  for (const [name, v] of Object.entries(loraParams(m.params)))
    if (name.endsWith('lora_B.weight')) {
      const b = tf.randomNormal(v.shape, 0, 0.2, 'float32', seed++);
      v.assign(b);
      b.dispose();
    }
  const logits = logitsOf(m.params, m.cfg);
  const adapter = await exportPeftAdapter(m.params, m.cfg, S, baseName);
  tf.dispose(Object.values(m.params));
  return { adapter, logits };
}

/** python3 reads the safetensors header by hand: dtypes, names, and whether the byte ranges tile the data. */
const HEADER_PY = `
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
h = json.loads(raw[8 : 8 + n])
h.pop("__metadata__", None)
spans = sorted(t["data_offsets"] for t in h.values())
size = {"F32": 4, "BF16": 2, "F16": 2}


def count(shape):
    out = 1
    for d in shape:
        out *= d
    return out


ok = all(a[1] == b[0] for a, b in zip(spans, spans[1:])) and spans[0][0] == 0
ok = ok and 8 + n + spans[-1][1] == len(raw)
for t in h.values():
    ok = ok and t["data_offsets"][1] - t["data_offsets"][0] == size[t["dtype"]] * count(t["shape"])
print(json.dumps({"dtypes": sorted({t["dtype"] for t in h.values()}), "names": sorted(h), "tiled": ok}))
`;
function pythonHeader(file: string): { dtypes: string[]; names: string[]; tiled: boolean } {
  const r = spawnSync('python3', ['-c', HEADER_PY, file], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

const f32 = tinyCheckpoint(TINY_VARIANTS.find((v) => v.name === 'mistral-linear-rope-f32')!, 2);
const bf16 = tinyCheckpoint(TINY_VARIANTS.find((v) => v.name === 'qwen2-sharded-bf16')!, 3);
let hub: TestHub;
beforeAll(async () => {
  await tf.setBackend('cpu');
  hub = await startTestHub();
});
afterAll(() => hub?.stop());

describe('npm run merge', () => {
  it('a folder adapter on a folder base: the adapted logits (1e-5), in F32, read by us and by python3', async () => {
    const base = folder('f32', f32.files);
    const { adapter, logits } = await adapterFor(f32.files, base, 11);
    const out = join(root, 'merged-f32');
    const r = await merge(['--model', base, '--adapter', folder('f32-adapter', adapter), '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/warning/);
    expect(r.stdout).toMatch(/^merged \d+ projections \(r = 3, s = 4\) into .*\(weights in F32\)$/m);
    const files = readFolder(out);
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json']));
    const merged = modelFromFiles(files);
    expect(maxAbsDiff(logitsOf(merged.params, merged.cfg), logits)).toBeLessThanOrEqual(1e-5);
    tf.dispose(Object.values(merged.params));
    const names = Object.keys(readSafetensors(files['model.safetensors']).tensors).sort();
    expect(names).toEqual(Object.keys(f32.tensors).sort());
    if (hasPython) {
      const py = pythonHeader(join(out, 'model.safetensors'));
      expect(py).toEqual({ dtypes: ['F32'], names, tiled: true });
    }
  });

  it('from the Hub: a BF16 base stays BF16; another base_model_name_or_path is a warning naming both', async () => {
    hub.commit('test-org/tiny-bf16', bf16.files);
    hub.commit('test-org/tiny-bf16-adapter', (await adapterFor(bf16.files, 'someone/other-model', 21)).adapter);
    const env = { HF_ENDPOINT: hub.url, RUBRIC_LAB_CACHE: join(root, 'cache') };
    const out = join(root, 'merged-bf16');
    const args = ['--model', 'hf:test-org/tiny-bf16', '--adapter', 'hf:test-org/tiny-bf16-adapter', '--out', out];
    const r = await merge(args, env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^warning: the adapter was trained on "someone\/other-model" .* not on "test-org\/tiny-bf16"/m,
    );
    expect(r.stdout).toMatch(/\(weights in BF16\)$/m);
    const files = readFolder(out);
    expect(JSON.parse(new TextDecoder().decode(files['config.json'])).torch_dtype).toBe('bfloat16');
    const st = readSafetensors(files['model.safetensors']);
    expect(new Set(Object.values(st.tensors).map((t) => t.dtype))).toEqual(new Set(['BF16']));
    if (hasPython) {
      const py = pythonHeader(join(out, 'model.safetensors'));
      expect(py.dtypes).toEqual(['BF16']);
      expect(py.tiled).toBe(true);
      expect(py.names.some((n) => n.includes('lora'))).toBe(false);
    }
  });

  it('an adapter of another base’s shapes is refused, naming the tensor and both shapes', async () => {
    const { adapter } = await adapterFor(f32.files, 'test-org/tiny-f32', 31);
    const out = join(root, 'merged-wrong');
    const r = await merge(['--model', folder('bf16', bf16.files), '--adapter', folder('wrong', adapter), '--out', out]);
    expect(r.status).toBe(1);
    const tensor = 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight';
    expect(r.stderr).toContain(`tensor "${tensor}" is [3,32], the base needs [3,56]`);
  });
});

// LoRA adapters in PEFT's format, as `PeftModel.save_pretrained` writes them and `PeftModel.from_pretrained`
// reads them: adapter_config.json (LoraConfig's fields, every key PEFT 0.15 writes, with its defaults) and
// adapter_model.safetensors (metadata format "pt"; tensors `base_model.model.<module>.lora_A.weight` [r, in]
// and `….lora_B.weight` [out, r], the adapter name left out as PEFT leaves it out). Import checks an adapter
// against the base it is loaded onto and refuses, naming file and field, what we do not run: biases, DoRA,
// per-layer ranks or alphas, a subset of layers, extra saved modules, targets other than the seven
// projections. A merged checkpoint (W + s·B·A, no adapters) is written in Hugging Face layout in the base's
// dtype. Files as name → bytes: downloads in the browser, a folder in Node (checkpoint_node.ts).
import * as tf from '@tensorflow/tfjs';
import type { LlamaConfig } from '../config';
import {
  addLora,
  checkLoraSettings,
  isLoraName,
  LORA_TARGETS,
  type LoraSettings,
  type LoraTarget,
  loraModules,
  loraShapes,
  mergedWeight,
} from '../lora';
import { readSafetensors, type SafeDtype, type SafetensorsFile, writeSafetensors } from '../safetensors';
import { f32Values, valueShape } from '../f16_weights';
import { SINGLE_FILE } from './weights';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';
/** Where a LoRA run's checkpoint keeps its adapter, beside the merged weights: a subfolder, because transformers'
 * from_pretrained on a folder holding adapter_config.json loads the base that file names, not the folder's weights. */
export const CHECKPOINT_ADAPTER_DIR = 'adapter';
export const CHECKPOINT_ADAPTER_FILES = [ADAPTER_CONFIG, ADAPTER_WEIGHTS].map((f) => `${CHECKPOINT_ADAPTER_DIR}/${f}`);
/** PeftModelForCausalLM wraps the transformers model, whose own parameters start with `model.`. */
const PEFT_PREFIX = 'base_model.model.';

const json = (obj: unknown) => new TextEncoder().encode(`${JSON.stringify(obj, null, 2)}\n`);

/** adapter_config.json's contents: PEFT's LoraConfig as saved, our settings in its fields, its defaults elsewhere. */
export function peftConfig(s: LoraSettings, baseModel: string): Record<string, unknown> {
  checkLoraSettings(s, ADAPTER_CONFIG);
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: baseModel,
    bias: 'none',
    corda_config: null,
    eva_config: null,
    exclude_modules: null,
    fan_in_fan_out: false,
    inference_mode: true, // save_pretrained writes true
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: s.alpha,
    lora_bias: false,
    lora_dropout: s.dropout,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: null,
    peft_type: 'LORA',
    r: s.rank,
    rank_pattern: {},
    revision: null,
    target_modules: [...s.targets],
    task_type: 'CAUSAL_LM',
    trainable_token_indices: null,
    use_dora: false,
    use_rslora: s.rslora,
  };
}

/** A model's adapters as PEFT files (one readback per tensor); `s` must be the settings they were added with. */
export async function exportPeftAdapter(
  params: Record<string, tf.Variable>,
  cfg: LlamaConfig,
  s: LoraSettings,
  baseModel: string,
): Promise<Record<string, Uint8Array>> {
  const have = Object.keys(params).filter(isLoraName);
  const values = await Promise.all(have.map((n) => params[n].data<'float32'>()));
  const weights = Object.fromEntries(have.map((n, i) => [n, new Float32Array(values[i])]));
  const base = Object.fromEntries(Object.entries(shapesOf(params)).filter(([n]) => !isLoraName(n)));
  return peftAdapterFiles(weights, cfg, s, baseModel, base);
}

/** Adapter values by our names (A [r, in], B [out, r] row-major) as PEFT files, checked against the settings
 * and the base's projection shapes. */
export function peftAdapterFiles(
  weights: Record<string, Float32Array>,
  cfg: LlamaConfig,
  s: LoraSettings,
  baseModel: string,
  baseShapes: Record<string, readonly number[]>,
): Record<string, Uint8Array> {
  const shapes = loraShapes(cfg, s, baseShapes);
  const have = Object.keys(weights);
  const wrong = [...have.filter((n) => !(n in shapes)), ...Object.keys(shapes).filter((n) => !have.includes(n))];
  if (wrong.length) throw new Error(`PEFT export: adapters do not match the settings: ${wrong.join(', ')}`);
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    if (weights[name].length !== shape[0] * shape[1])
      throw new Error(`PEFT export: ${name} has ${weights[name].length} values, settings give [${shape}]`);
    tensors[PEFT_PREFIX + name] = { shape, data: weights[name] };
  }
  return {
    [ADAPTER_CONFIG]: json(peftConfig(s, baseModel)),
    [ADAPTER_WEIGHTS]: writeSafetensors(tensors, { format: 'pt' }),
  };
}

const shapesOf = (params: Record<string, tf.Tensor>) =>
  Object.fromEntries(Object.entries(params).map(([n, v]) => [n, valueShape(v)]));

/** A LoRA option we do not run, at its default (PEFT's) when absent; each refused when set otherwise. */
const MUST_BE: [field: string, ok: (v: unknown) => boolean, what: string][] = [
  ['bias', (v) => v === undefined || v === 'none', '"none" (biases trained with the adapter are not supported)'],
  ['use_dora', (v) => !v, 'false (DoRA is not supported)'],
  ['lora_bias', (v) => !v, 'false (a bias on lora_B is not supported)'],
  ['fan_in_fan_out', (v) => !v, 'false (the projections are nn.Linear, [out, in])'],
  ['layers_to_transform', (v) => v == null, 'null (adapters on a subset of layers are not supported)'],
  ['layers_pattern', (v) => v == null || (Array.isArray(v) && !v.length), 'null (only with layers_to_transform)'],
  ['layer_replication', (v) => v == null, 'null (layer replication is not supported)'],
  ['rank_pattern', (v) => v == null || isEmptyObject(v), '{} (per-module ranks are not supported)'],
  ['alpha_pattern', (v) => v == null || isEmptyObject(v), '{} (per-module alphas are not supported)'],
  ['modules_to_save', (v) => v == null || (Array.isArray(v) && !v.length), 'null (fully trained extra modules)'],
  ['exclude_modules', (v) => v == null || (Array.isArray(v) && !v.length), 'null (excluded modules)'],
  ['trainable_token_indices', (v) => v == null, 'null (trained token rows are not supported)'],
  ['use_qalora', (v) => !v, 'false (QALoRA is not supported)'],
];
const isEmptyObject = (v: unknown) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Object.keys(v).length;

/** adapter_config.json → our settings, refusing what we do not run (named by file and field). */
export function parseAdapterConfig(bytes: Uint8Array): { settings: LoraSettings; baseModel: string } {
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new Error(`${ADAPTER_CONFIG}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new Error(`${ADAPTER_CONFIG}: not a JSON object`);
  const field = (name: string, what: string) =>
    new Error(`${ADAPTER_CONFIG}: ${name} is ${JSON.stringify(c[name])}, must be ${what}`);
  if (c.peft_type !== 'LORA') throw field('peft_type', '"LORA" (only LoRA adapters are supported)');
  if (c.task_type != null && c.task_type !== 'CAUSAL_LM') throw field('task_type', '"CAUSAL_LM"');
  for (const [name, ok, what] of MUST_BE) if (!ok(c[name])) throw field(name, what);
  const r = c.r ?? 8; // PEFT's default
  if (!Number.isInteger(r) || (r as number) < 1) throw field('r', 'a whole number ≥ 1');
  const alpha = c.lora_alpha ?? 8; // PEFT's default
  if (typeof alpha !== 'number' || !(alpha > 0)) throw field('lora_alpha', 'a number > 0');
  const dropout = c.lora_dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) throw field('lora_dropout', 'in [0, 1)');
  const targets = targetModules(c.target_modules);
  const settings: LoraSettings = { rank: r as number, alpha, dropout, targets, rslora: c.use_rslora === true };
  const base = c.base_model_name_or_path;
  return { settings, baseModel: typeof base === 'string' ? base : '' };
}

/** target_modules: names (PEFT matches a module whose name ends with one) or "all-linear" (every projection). */
function targetModules(v: unknown): LoraTarget[] {
  if (v === 'all-linear') return [...LORA_TARGETS];
  const bad = (why: string) => new Error(`${ADAPTER_CONFIG}: target_modules ${JSON.stringify(v)}: ${why}`);
  if (typeof v === 'string') throw bad('a regular expression; give the module names as a list');
  if (!Array.isArray(v) || !v.length) throw bad(`must be a list of ${LORA_TARGETS.join(', ')}`);
  const out = new Set<LoraTarget>();
  for (const t of v) {
    const leaf = typeof t === 'string' ? t.slice(t.lastIndexOf('.') + 1) : '';
    if (!(LORA_TARGETS as readonly string[]).includes(leaf))
      throw bad(`"${t}" is not one of ${LORA_TARGETS.join(', ')}`);
    out.add(leaf as LoraTarget);
  }
  return LORA_TARGETS.filter((t) => out.has(t)); // the model's order
}

/**
 * A PEFT adapter's files → settings and weights by our names, checked against the base: every tensor PEFT
 * would have made for these settings is there with its shape, and nothing else.
 */
export function readPeftAdapter(
  files: Record<string, Uint8Array>,
  cfg: LlamaConfig,
  baseShapes: Record<string, readonly number[]>,
): { settings: LoraSettings; baseModel: string; weights: Record<string, Float32Array> } {
  if (!files[ADAPTER_CONFIG]) throw new Error(`PEFT adapter: missing ${ADAPTER_CONFIG}`);
  if (!files[ADAPTER_WEIGHTS])
    throw new Error(
      `PEFT adapter: missing ${ADAPTER_WEIGHTS}` +
        (files['adapter_model.bin']
          ? ' (adapter_model.bin, a PyTorch pickle, is not read: save with safetensors)'
          : ''),
    );
  const { settings, baseModel } = parseAdapterConfig(files[ADAPTER_CONFIG]);
  let st: SafetensorsFile;
  try {
    st = readSafetensors(files[ADAPTER_WEIGHTS]);
  } catch (e) {
    throw new Error(`${ADAPTER_WEIGHTS}: ${(e as Error).message.replace(/^safetensors: /, '')}`);
  }
  const want = loraShapes(cfg, settings, baseShapes);
  const problems: string[] = [];
  const weights: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(st.tensors)) {
    const ours = name.startsWith(PEFT_PREFIX) ? name.slice(PEFT_PREFIX.length) : '';
    const shape = Object.hasOwn(want, ours) ? want[ours] : null;
    if (!shape) problems.push(`tensor "${name}" is not an adapter of r = ${settings.rank} on the config's targets`);
    else if (!tf.util.arraysEqual(t.shape, shape))
      problems.push(`tensor "${name}" is [${t.shape}], the base needs [${shape}] (a different base or rank?)`);
    else weights[ours] = t.data;
  }
  for (const name of Object.keys(want))
    if (!Object.hasOwn(st.tensors, PEFT_PREFIX + name)) problems.push(`tensor "${PEFT_PREFIX + name}" is missing`);
  if (problems.length)
    throw new Error(`${ADAPTER_WEIGHTS} does not fit the base model and ${ADAPTER_CONFIG}:\n${problems.join('\n')}`);
  return { settings, baseModel, weights };
}

/** Loads a PEFT adapter onto a model's params (base frozen, as addLora does); returns its settings. */
export function importPeftAdapter(
  params: Record<string, tf.Variable>,
  cfg: LlamaConfig,
  files: Record<string, Uint8Array>,
): { settings: LoraSettings; baseModel: string } {
  const { settings, baseModel, weights } = readPeftAdapter(files, cfg, shapesOf(params));
  addLora(params, cfg, settings, { weights });
  return { settings, baseModel };
}

/** safetensors' dtype for config.json's torch_dtype: the base's, so a merged checkpoint is the base's size. */
export function dtypeOf(cfg: LlamaConfig): SafeDtype {
  if (cfg.torch_dtype === 'bfloat16') return 'BF16';
  if (cfg.torch_dtype === 'float16') return 'F16';
  return 'F32';
}

/**
 * The model with its adapters merged in (W + s·B·A on every targeted projection) as a Hugging Face checkpoint:
 * config.json and model.safetensors in the base's dtype, plus `extraFiles` (the base's tokenizer files).
 * One readback per tensor.
 */
export async function exportMerged(
  params: Record<string, tf.Variable>,
  cfg: LlamaConfig,
  extraFiles: Record<string, Uint8Array> = {},
): Promise<Record<string, Uint8Array>> {
  const merged = new Set(loraModules(params).map((m) => `${m}.weight`));
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, v] of Object.entries(params)) {
    if (isLoraName(name)) continue;
    const t = merged.has(name) ? mergedWeight(params, name.slice(0, -'.weight'.length)) : v;
    tensors[name] = { shape: valueShape(v), data: await f32Values(t) };
    if (t !== v) t.dispose();
  }
  return {
    ...extraFiles,
    'config.json': json(cfg),
    [SINGLE_FILE]: writeSafetensors(tensors, { format: 'pt' }, dtypeOf(cfg)),
  };
}

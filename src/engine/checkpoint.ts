// A checkpoint as three files — config.json (HF LlamaConfig), model.safetensors (HF Llama tensor
// names, F32) and tokenizer.json (HF tokenizers) — held as name → bytes, so IndexedDB, downloads and
// Node folders (checkpoint_node.ts) all store the same thing. Decoding validates everything it can
// and names what is wrong. Leaves out optimizer state and run records (train/ keeps those).
import * as tf from '@tensorflow/tfjs';
import { validateConfig, type LlamaConfig } from './config';
import { paramShapes } from './param_names';
import { readSafetensors, writeSafetensors, type SafetensorsFile } from './safetensors';
import { Tokenizer, type HFTokenizerJson } from './tokenizer';

export const CHECKPOINT_FILES = ['config.json', 'model.safetensors', 'tokenizer.json'] as const;
export type CheckpointFiles = Record<string, Uint8Array>;

export interface CheckpointTensor {
  shape: number[];
  data: Float32Array;
}
export interface Checkpoint {
  config: LlamaConfig;
  tensors: Record<string, CheckpointTensor>;
  tokenizer: HFTokenizerJson;
}

const toBytes = (obj: unknown) => new TextEncoder().encode(`${JSON.stringify(obj, null, 2)}\n`);

export function encodeCheckpoint(ckpt: Checkpoint): CheckpointFiles {
  return {
    'config.json': toBytes(ckpt.config),
    // transformers refuses safetensors files without a "format" entry
    'model.safetensors': writeSafetensors(ckpt.tensors, { format: 'pt' }),
    'tokenizer.json': toBytes(ckpt.tokenizer),
  };
}

function parseJsonFile(files: CheckpointFiles, name: string): unknown {
  const bytes = files[name];
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new Error(`${name}: not valid JSON (${(e as Error).message})`);
  }
}

/** Every problem with the tensors against the config, one line each (empty when all is well). */
export function tensorProblems(tensors: Record<string, { shape: number[] }>, cfg: LlamaConfig): string[] {
  const want = paramShapes(cfg);
  const problems: string[] = [];
  for (const [name, shape] of Object.entries(want)) {
    const t = tensors[name];
    if (!t) problems.push(`model.safetensors: tensor "${name}" is missing`);
    else if (!tf.util.arraysEqual(t.shape, shape))
      problems.push(`model.safetensors: tensor "${name}" has shape [${t.shape}], expected [${shape}]`);
  }
  for (const name of Object.keys(tensors)) {
    if (!(name in want))
      problems.push(`model.safetensors: unexpected tensor "${name}" (not in the model for this config.json)`);
  }
  return problems;
}

function tokenizerProblems(tok: Tokenizer, cfg: LlamaConfig): string[] {
  const problems: string[] = [];
  if (tok.vocabSize !== cfg.vocab_size)
    problems.push(
      `tokenizer.json: vocabulary has ${tok.vocabSize} tokens but config.json vocab_size is ${cfg.vocab_size}`,
    );
  const ids = [
    ['bos_token_id', tok.bosId],
    ['eos_token_id', tok.eosId],
    ['pad_token_id', tok.padId],
  ] as const;
  for (const [field, id] of ids) {
    const got = (cfg as unknown as Record<string, unknown>)[field];
    if (got !== undefined && got !== null && got !== id)
      problems.push(`config.json: ${field} is ${got} but tokenizer.json gives ${id}`);
  }
  return problems;
}

function readModelFile(bytes: Uint8Array): SafetensorsFile {
  try {
    return readSafetensors(bytes);
  } catch (e) {
    throw new Error(`model.safetensors: ${(e as Error).message.replace(/^safetensors: /, '')}`);
  }
}

/** Files → checkpoint; throws one error listing every problem found. */
export function decodeCheckpoint(files: CheckpointFiles): Checkpoint {
  const missing = CHECKPOINT_FILES.filter((f) => !(files[f] instanceof Uint8Array));
  if (missing.length) throw new Error(`checkpoint: missing ${missing.join(', ')}`);
  const config = validateConfig(parseJsonFile(files, 'config.json'));
  const st = readModelFile(files['model.safetensors']);
  const tokenizer = parseJsonFile(files, 'tokenizer.json') as HFTokenizerJson;
  const tok = Tokenizer.fromHFJson(tokenizer);
  const problems = [...tensorProblems(st.tensors, config), ...tokenizerProblems(tok, config)];
  if (problems.length) throw new Error(`checkpoint does not match its config.json:\n${problems.join('\n')}`);
  const tensors: Record<string, CheckpointTensor> = {};
  for (const [name, t] of Object.entries(st.tensors)) tensors[name] = { shape: t.shape, data: t.data };
  return { config, tensors, tokenizer };
}

/** Reads every parameter back from the device (one await per tensor) into a checkpoint. */
export async function paramsToCheckpoint<P extends { [K in keyof P]: tf.Tensor }>(
  params: P,
  cfg: LlamaConfig,
  tokenizer: Tokenizer | HFTokenizerJson,
): Promise<Checkpoint> {
  const problems = tensorProblems(params as Record<string, tf.Tensor>, cfg);
  if (problems.length)
    throw new Error(`paramsToCheckpoint: parameters do not match the config:\n${problems.join('\n')}`);
  const tensors: Record<string, CheckpointTensor> = {};
  for (const [name, t] of Object.entries(params) as [string, tf.Tensor][]) {
    if (t.dtype !== 'float32') throw new Error(`paramsToCheckpoint: tensor "${name}" is ${t.dtype}, expected float32`);
    // copy: on the CPU backend data() can return the tensor's own storage
    tensors[name] = { shape: [...t.shape], data: new Float32Array(await t.data<'float32'>()) };
  }
  const json = tokenizer instanceof Tokenizer ? tokenizer.toHFJson() : tokenizer;
  return { config: { ...cfg }, tensors, tokenizer: json };
}

/** Checkpoint → one tensor per parameter (the caller wraps them into variables and disposes these). */
export function checkpointToTensors(ckpt: Checkpoint): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, t] of Object.entries(ckpt.tensors)) out[name] = tf.tensor(t.data, t.shape, 'float32');
  return out;
}

/** Checkpoint files → trainable variables (HF names), the config and the tokenizer: a model to train or judge with. */
export function modelFromFiles(files: CheckpointFiles): {
  params: Record<string, tf.Variable>;
  cfg: LlamaConfig;
  tok: Tokenizer;
} {
  const ckpt = decodeCheckpoint(files);
  const params: Record<string, tf.Variable> = {};
  for (const [name, t] of Object.entries(ckpt.tensors))
    params[name] = tf.tidy(() => tf.variable(tf.tensor(t.data, t.shape, 'float32'), true));
  return { params, cfg: ckpt.config, tok: Tokenizer.fromHFJson(ckpt.tokenizer) };
}

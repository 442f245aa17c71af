// A checkpoint as files held as name → bytes, so IndexedDB, downloads and Node folders
// (checkpoint_node.ts) all store the same thing. Ours are three — config.json (HF LlamaConfig),
// model.safetensors (HF Llama tensor names, F32) and tokenizer.json (tokenizer.ts's) — and encode/decode
// round-trips them. A model loads from ours or from a Hugging Face folder of the family (config.ts):
// modelFromFiles for files in memory, loadModel for a FileSource read tensor by tensor (hf/weights.ts);
// sharded or single safetensors in F32/F16/BF16, either kind of tokenizer (hf/tokenizer.ts's loadTokenizer).
// Everything is validated and what is wrong is named. Leaves out optimizer state and run records (train/).
import * as tf from '@tensorflow/tfjs';
import { validateConfig, type LlamaConfig } from './config';
import { loadTokenizer, TOKENIZER_FILES } from './hf/tokenizer';
import {
  type FileSource,
  INDEX_FILE,
  loadWeights,
  NON_FINITE,
  nonFiniteProblem,
  SINGLE_FILE,
  tensorProblems,
  type WeightOptions,
  weightsFromFiles,
} from './hf/weights';
import { keyedTable } from './keyed_table';
import { readSafetensors, writeSafetensors, type SafetensorsFile } from './safetensors';
import type { TextTokenizer } from './text_tokenizer';
import { Tokenizer, type HFTokenizerJson } from './tokenizer';
import { unpackData } from './packed_weights';
import { readParamData } from './vocab_rows';

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

/** Where config.json and the tokenizer disagree, one line each (empty when all is well). */
function tokenizerProblems(tok: TextTokenizer, cfg: LlamaConfig): string[] {
  const problems: string[] = [];
  if (!(tok instanceof Tokenizer)) {
    // a real model's embedding may have rows past its tokenizer's ids (Qwen pads to a multiple of 128)
    if (tok.vocabSize > cfg.vocab_size)
      problems.push(
        `tokenizer.json: vocabulary has ${tok.vocabSize} tokens but config.json vocab_size is only ` +
          `${cfg.vocab_size} (the embedding needs a row per token)`,
      );
    return problems; // its special ids come from tokenizer_config.json and generation_config.json
  }
  // ours are written together: any difference is a mix-up of files
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
    const got: unknown = cfg[field]; // a config.json from elsewhere may leave it out
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

/** Files → checkpoint; throws one error listing every problem found: files, shapes and the tokenizer first,
 * then NaN or infinite weights (a model holding them judges nothing). */
export function decodeCheckpoint(files: CheckpointFiles): Checkpoint {
  const missing = CHECKPOINT_FILES.filter((f) => !(files[f] instanceof Uint8Array));
  if (missing.length) throw new Error(`checkpoint: missing ${missing.join(', ')}`);
  const config = validateConfig(parseJsonFile(files, 'config.json'));
  const st = readModelFile(files['model.safetensors']);
  const tokenizer = parseJsonFile(files, 'tokenizer.json') as HFTokenizerJson;
  const tok = Tokenizer.fromHFJson(tokenizer);
  const problems = [...tensorProblems(st.tensors, config), ...tokenizerProblems(tok, config)];
  if (problems.length) throw new Error(`checkpoint does not match its config.json:\n${problems.join('\n')}`);
  const nonFinite = Object.entries(st.tensors).flatMap(([name, t]) => {
    const problem = nonFiniteProblem('model.safetensors', name, t.shape, t.data);
    return problem === null ? [] : [problem];
  });
  if (nonFinite.length) throw new Error(`${NON_FINITE}:\n${nonFinite.join('\n')}`);
  const tensors = keyedTable(Object.entries(st.tensors).map(([name, t]) => [name, { shape: t.shape, data: t.data }]));
  return { config, tensors, tokenizer };
}

/** Reads every parameter back from the device (one await per tensor) into a checkpoint; half-precision words
 * (a half-precision LoRA base) as the f32 values they hold. */
export async function paramsToCheckpoint<P extends { [K in keyof P]: tf.Tensor }>(
  params: P,
  cfg: LlamaConfig,
  tokenizer: Tokenizer | HFTokenizerJson,
): Promise<Checkpoint> {
  let tensors: Record<string, CheckpointTensor>;
  try {
    // split vocabulary tables joined, packed projections split
    tensors = unpackData(await readParamData(params as Record<string, tf.Tensor>), cfg);
  } catch (e) {
    throw new Error(`paramsToCheckpoint: ${(e as Error).message}`);
  }
  const problems = tensorProblems(tensors, cfg);
  if (problems.length)
    throw new Error(`paramsToCheckpoint: parameters do not match the config:\n${problems.join('\n')}`);
  const json = tokenizer instanceof Tokenizer ? tokenizer.toHFJson() : tokenizer;
  return { config: { ...cfg }, tensors, tokenizer: json };
}

/** Checkpoint → one tensor per parameter (the caller wraps them into variables and disposes these). */
export function checkpointToTensors(ckpt: Checkpoint): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, t] of Object.entries(ckpt.tensors)) out[name] = tf.tensor(t.data, t.shape, 'float32');
  return out;
}

/** A model to judge or train with: trainable variables by HF name, config, tokenizer; a real model (HF tokenizer)
 * also keeps its tokenizer files as read, which every checkpoint trained from it carries. */
export interface RunnableModel<T extends TextTokenizer = TextTokenizer> {
  params: Record<string, tf.Variable>;
  cfg: LlamaConfig;
  tok: T;
  tokenizerFiles?: Record<string, Uint8Array>;
}

function configAndTokenizer(config: Uint8Array | null, tokenizerFiles: Record<string, Uint8Array>) {
  if (config === null) throw new Error('checkpoint: missing config.json');
  if (!tokenizerFiles['tokenizer.json']) throw new Error('checkpoint: missing tokenizer.json');
  const cfg = validateConfig(parseJsonFile({ 'config.json': config }, 'config.json'));
  const tok = loadTokenizer(tokenizerFiles);
  const problems = tokenizerProblems(tok, cfg);
  if (problems.length) throw new Error(`checkpoint does not match its config.json:\n${problems.join('\n')}`);
  return { cfg, tok };
}

/** A real model's tokenizer files, to keep with it (ours writes its own tokenizer.json). */
const realTokenizerFiles = (tok: TextTokenizer, files: Record<string, Uint8Array>) =>
  tok instanceof Tokenizer ? {} : { tokenizerFiles: files };

const noWeights = `checkpoint: missing ${SINGLE_FILE} (or ${INDEX_FILE} and its shards)`;

/**
 * Checkpoint files in memory (ours or a Hugging Face folder's) → a model; weights converted one tensor at a
 * time, q|k|v and gate|up packed with `pack` (a model to infer with only, packed_weights.ts).
 */
export function modelFromFiles(
  files: CheckpointFiles,
  opts: Pick<WeightOptions, 'pack' | 'weights' | 'onF16Refused' | 'bindingBytes'> = {},
): RunnableModel {
  const has = (name: string) => Object.hasOwn(files, name) && files[name] instanceof Uint8Array;
  const tokenizerFiles = Object.fromEntries(TOKENIZER_FILES.filter(has).map((n) => [n, files[n]]));
  const { cfg, tok } = configAndTokenizer(has('config.json') ? files['config.json'] : null, tokenizerFiles);
  if (!has(SINGLE_FILE) && !has(INDEX_FILE)) throw new Error(noWeights);
  return { params: weightsFromFiles(files, cfg, opts), cfg, tok, ...realTokenizerFiles(tok, tokenizerFiles) };
}

/** A model from a FileSource (a folder, a download, a cache): small files whole, then the weights tensor by tensor. */
export async function modelFromSource(
  source: FileSource,
  opts: Parameters<typeof loadWeights>[2] = {},
): Promise<RunnableModel> {
  const tokenizerFiles: Record<string, Uint8Array> = {};
  for (const name of TOKENIZER_FILES) {
    const bytes = await source.read(name);
    if (bytes) tokenizerFiles[name] = bytes;
  }
  const { cfg, tok } = configAndTokenizer(await source.read('config.json'), tokenizerFiles);
  return { params: await loadWeights(source, cfg, opts), cfg, tok, ...realTokenizerFiles(tok, tokenizerFiles) };
}

/**
 * The weights of a model as checkpoint files, one readback per tensor. Ours: config.json, model.safetensors and
 * our tokenizer.json. A real model: Hugging Face layout — config.json, model.safetensors and its own tokenizer
 * files — which the judge, the CLIs and transformers load like the base. F32 either way: a run resumes on exactly
 * these weights (train/resume.ts).
 */
export async function modelCheckpointFiles(
  params: Record<string, tf.Tensor>,
  cfg: LlamaConfig,
  tok: TextTokenizer,
  tokenizerFiles?: Record<string, Uint8Array>,
): Promise<CheckpointFiles> {
  if (tok instanceof Tokenizer) return encodeCheckpoint(await paramsToCheckpoint(params, cfg, tok));
  if (!tokenizerFiles?.['tokenizer.json'])
    throw new Error('checkpoint: a model with a Hugging Face tokenizer is saved with its tokenizer files; none given');
  const json = parseJsonFile(tokenizerFiles, 'tokenizer.json') as HFTokenizerJson;
  return { ...encodeCheckpoint(await paramsToCheckpoint(params, cfg, json)), ...tokenizerFiles }; // files as read
}

/** What a stored checkpoint holds, ours or in Hugging Face layout (validated): its config and parameter count. */
export function checkpointContents(files: CheckpointFiles): { config: LlamaConfig; parameters: number } {
  const has = (name: string) => files[name] instanceof Uint8Array;
  const tokenizerFiles = Object.fromEntries(TOKENIZER_FILES.filter(has).map((n) => [n, files[n]]));
  const { cfg } = configAndTokenizer(has('config.json') ? files['config.json'] : null, tokenizerFiles);
  if (!has(SINGLE_FILE)) throw new Error(`checkpoint: missing ${SINGLE_FILE}`);
  const st = readModelFile(files[SINGLE_FILE]);
  const problems = tensorProblems(st.tensors, cfg);
  if (problems.length) throw new Error(`checkpoint does not match its config.json:\n${problems.join('\n')}`);
  return { config: cfg, parameters: Object.values(st.tensors).reduce((n, t) => n + t.data.length, 0) };
}

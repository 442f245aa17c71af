// A model's weights read from its safetensors files one tensor at a time: model.safetensors, or the shards
// that model.safetensors.index.json maps; F32, F16 and BF16. Every shard's header is read first and each
// tensor checked against the config (names, shapes) before any data is read; then each tensor's bytes are
// read, converted to float32, checked finite and uploaded as a variable before the next is read, so the
// host holds one tensor's bytes beyond the model, never a second copy of it. Names are Hugging Face's
// (param_names.ts); transformers' leftovers are skipped (old rotary_emb.inv_freq buffers, an lm_head.weight
// stored beside tied embeddings). The files come through a FileSource (whole small files and byte ranges),
// so a folder, memory, a download or a cache all plug in. A vocabulary table larger than one GPU binding is
// uploaded in row parts (vocab_rows.ts). A model loaded to infer only (`pack`) gets its q|k|v and gate|up
// projections packed on the host as they stream in (packed_weights.ts): one group's buffer is held beside
// the tensor being read. Loaded on WebGPU with weights 'f16' (to infer, or as a LoRA run's frozen base), every
// matrix is uploaded as half-precision words instead (f16_weights.ts says which and when that is refused: then
// the model loads again in f32, the reason given to onF16Refused). Leaves out other dtypes and quantised weights.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { LlamaConfig } from '../config';
import { onWebGPU } from '../kernels/fused';
import { keyedTable } from '../keyed_table';
import { F16Refused, f16Problem, f16Words, halvedOnLoad, type WeightPrecision } from '../f16_weights';
import { HostPacker, packsFit } from '../packed_weights';
import { paramShapes } from '../param_names';
import { isVocabTable, vocabVariables } from '../vocab_rows';
import {
  checkLayout,
  decodeTensor,
  type Entry,
  parseHeaderJson,
  readHeaderLength,
  type SafeDtype,
} from '../safetensors';

/** A model folder's files, wherever they are. */
export interface FileSource {
  /** A whole (small) file — configs, the index — or null when the folder has none. */
  read(name: string): Promise<Uint8Array | null>;
  /** Bytes [start, end) of a file, exactly end − start of them (throws naming the file otherwise). */
  readRange(name: string, start: number, end: number): Promise<Uint8Array>;
}

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

/** Files held in memory as a source (uploads, IndexedDB records, tests). */
export function memorySource(files: Record<string, Uint8Array>): FileSource {
  return {
    read: async (name) => (Object.hasOwn(files, name) ? files[name] : null),
    readRange: async (name, start, end) => rangeOf(files, name, start, end),
  };
}

function rangeOf(files: Record<string, Uint8Array>, name: string, start: number, end: number): Uint8Array {
  const bytes = fileBytes(files, name);
  if (end > bytes.length) throw new Error(`${name}: ${bytes.length} bytes, but bytes up to ${end} were asked for`);
  return bytes.subarray(start, end);
}

function fileBytes(files: Record<string, Uint8Array>, name: string): Uint8Array {
  if (!Object.hasOwn(files, name)) throw new Error(`${name}: missing`);
  return files[name];
}

/** A shard's header length from its first bytes, any problem named by the file. */
function headerLength(file: string, first: Uint8Array, fileSize?: number): number {
  try {
    return readHeaderLength(first, fileSize);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message.replace(/^safetensors: /, '')}`);
  }
}

/** The largest buffer a WebGPU program may bind, or Infinity on other backends. */
function deviceBufferLimit(): number {
  return onWebGPU() ? (tf.backend() as WebGPUBackend).device.limits.maxStorageBufferBindingSize : Infinity;
}

/** What one load read and held: the memory bound, made checkable. */
export interface LoadStats {
  tensors: number;
  bytesRead: number; // tensor data only
  /**
   * The most bytes the loader held at once beyond the uploaded model: one tensor's raw and float32 forms,
   * and, packing, the group buffers waiting for members.
   */
  peakHeldBytes: number;
}

/** The shards to read: the index's files, or the one model.safetensors. */
export function shardNames(index: Uint8Array | null): { shards: string[]; weightMap: Record<string, string> | null } {
  if (index === null) return { shards: [SINGLE_FILE], weightMap: null };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(index));
  } catch (e) {
    throw new Error(`${INDEX_FILE}: not valid JSON (${(e as Error).message})`);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map))
    throw new Error(`${INDEX_FILE}: missing its "weight_map" object`);
  const weightMap: Record<string, string> = keyedTable();
  for (const [name, file] of Object.entries(map)) {
    // a shard is a file beside the index: a path could read outside the folder
    if (typeof file !== 'string' || !/^[\w.-]+\.safetensors$/.test(file) || file.startsWith('.'))
      throw new Error(`${INDEX_FILE}: tensor "${name}" maps to ${JSON.stringify(file)}, not a .safetensors file name`);
    weightMap[name] = file;
  }
  return { shards: [...new Set(Object.values(weightMap))].sort(), weightMap };
}

/** A tensor and where its bytes are. */
interface Located {
  file: string;
  entry: Entry;
  dataStart: number;
}

/** Transformers' leftovers that are not parameters of the model. */
const skipped = (name: string, cfg: LlamaConfig) =>
  /\.rotary_emb\.inv_freq$/.test(name) || (cfg.tie_word_embeddings && name === 'lm_head.weight');

/** Every problem with the tensors against the config, one line each naming the file (empty when all is well). */
export function tensorProblems(
  tensors: Record<string, { shape: number[]; file?: string }>,
  cfg: LlamaConfig,
  missingFrom = SINGLE_FILE,
): string[] {
  const want = paramShapes(cfg);
  const problems: string[] = [];
  for (const [name, shape] of Object.entries(want)) {
    const t = Object.hasOwn(tensors, name) ? tensors[name] : undefined;
    if (!t) problems.push(`${missingFrom}: tensor "${name}" is missing`);
    else if (!tf.util.arraysEqual(t.shape, shape))
      problems.push(`${t.file ?? SINGLE_FILE}: tensor "${name}" has shape [${t.shape}], expected [${shape}]`);
  }
  // own names only: "constructor" is in every object, not in the model
  for (const [name, t] of Object.entries(tensors)) {
    if (!Object.hasOwn(want, name))
      problems.push(`${t.file ?? SINGLE_FILE}: unexpected tensor "${name}" (not in the model for this config.json)`);
  }
  return problems;
}

/** The [i, j, …] position of flat index `index` in a row-major tensor of `shape`. */
function positionOf(index: number, shape: number[]): number[] {
  const at = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    at[d] = index % shape[d];
    index = Math.floor(index / shape[d]);
  }
  return at;
}

/** NaN and ±Inf weights of one tensor: how many, and the first one and where it sits; null when all are finite. */
export function nonFiniteProblem(file: string, name: string, shape: number[], data: Float32Array): string | null {
  let count = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    if (Number.isFinite(data[i])) continue;
    if (count++ === 0) first = i;
  }
  if (count === 0) return null;
  return (
    `${file}: tensor "${name}" holds ${count} NaN/Inf value${count === 1 ? '' : 's'}; the first is ` +
    `${data[first]} at index ${first} [${positionOf(first, shape).join(', ')}]`
  );
}

export const NON_FINITE = 'checkpoint holds NaN or infinite weights (a diverged run?)';

/**
 * The loader's state across shards: headers in, the plan checked, then tensors one at a time. Both drivers
 * (loadWeights over a FileSource, weightsFromFiles over bytes in memory) feed it the same way.
 */
class WeightReader {
  private readonly located: Located[] = [];
  private readonly params: Record<string, tf.Variable> = {};
  private readonly nonFinite: string[] = [];
  readonly stats: LoadStats = { tensors: 0, bytesRead: 0, peakHeldBytes: 0 };
  private readonly packer: HostPacker | null;

  constructor(
    private readonly cfg: LlamaConfig,
    private readonly weightMap: Record<string, string> | null,
    private readonly bindingBytes: number,
    pack: boolean,
    private readonly f16: boolean,
  ) {
    // a pack larger than one binding could not be read by a GPU program: its members stay apart
    this.packer = pack && packsFit(cfg, bindingBytes) ? new HostPacker(cfg) : null;
  }

  /** A shard's header (the JSON after the length), its data buffer's start and, when known, its size. */
  addShard(file: string, headerJson: Uint8Array, dataStart: number, fileSize?: number): void {
    let entries: Entry[];
    try {
      entries = parseHeaderJson(headerJson).entries;
      checkLayout(entries, fileSize === undefined ? undefined : fileSize - dataStart);
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message.replace(/^safetensors: /, '')}`);
    }
    for (const entry of entries) this.located.push({ file, entry, dataStart });
  }

  /** The tensors to read, shard by shard, after checking every name and shape (all problems at once). */
  plan(): Located[] {
    const seen: Record<string, { shape: number[]; file: string }> = keyedTable();
    const problems: string[] = [];
    for (const { file, entry } of this.located) {
      if (skipped(entry.name, this.cfg)) continue;
      if (Object.hasOwn(seen, entry.name))
        problems.push(`${file}: tensor "${entry.name}" is also in ${seen[entry.name].file}`);
      const mapped = this.weightMap?.[entry.name];
      if (this.weightMap && mapped !== file)
        problems.push(`${INDEX_FILE}: maps tensor "${entry.name}" to ${mapped ?? 'no shard'}, but it is in ${file}`);
      seen[entry.name] = { shape: entry.shape, file };
    }
    problems.push(...tensorProblems(seen, this.cfg, this.weightMap ? INDEX_FILE : SINGLE_FILE));
    const limit = this.bindingBytes;
    // the vocabulary tables are uploaded in row parts when they are larger (vocab_rows.ts)
    for (const [name, { shape, file }] of Object.entries(seen)) {
      const bytes = isVocabTable(name) ? shape[1] * 4 : tf.util.sizeFromShape(shape) * 4;
      if (bytes > limit)
        problems.push(
          `${file}: tensor "${name}" needs ${bytes} bytes as float32${isVocabTable(name) ? ' for one row' : ''}, ` +
            `past this GPU's largest buffer binding (${limit} bytes)`,
        );
    }
    if (problems.length) throw new Error(`checkpoint does not match its config.json:\n${problems.join('\n')}`);
    return this.located.filter((l) => !skipped(l.entry.name, this.cfg));
  }

  /** One tensor's bytes (`owned`: read for this call, not a view of a file held anyway) → a variable. */
  accept({ file, entry }: Located, bytes: Uint8Array, owned: boolean): void {
    const { name, dtype, shape } = entry;
    const data = decodeTensor(bytes, dtype as SafeDtype, tf.util.sizeFromShape(shape));
    this.stats.tensors++;
    this.stats.bytesRead += bytes.length;
    const held = (owned ? bytes.length : 0) + data.byteLength + (this.packer?.heldBytes() ?? 0);
    this.stats.peakHeldBytes = Math.max(this.stats.peakHeldBytes, held);
    const problem = nonFiniteProblem(file, name, shape, data);
    if (problem) this.nonFinite.push(problem);
    if (this.nonFinite.length) return; // read on to list every bad tensor, upload nothing more
    const t = this.packer ? this.packer.add(name, data, shape) : { name, data, shape };
    if (!t) return; // its group waits for the rest
    const halved = this.f16 && halvedOnLoad(t.shape);
    if (halved) {
      const why = f16Problem(t.name, t.shape, t.data);
      if (why) throw new F16Refused(`${file}: ${why}`);
      // the words of the tensor (or of one vocabulary part) beside its float32 data
      this.stats.peakHeldBytes = Math.max(this.stats.peakHeldBytes, held + t.data.length * 2);
    }
    const upload = (data: Float32Array, shape: number[]) =>
      tf.tidy(() =>
        halved
          ? tf.variable(tf.tensor2d(f16Words(data), [shape[0], shape[1] / 2], 'int32'), false)
          : tf.variable(tf.tensor(data, shape, 'float32'), true),
      );
    const vars = isVocabTable(t.name)
      ? vocabVariables(t.name, t.data, t.shape, this.bindingBytes, upload)
      : { [t.name]: upload(t.data, t.shape) };
    for (const [n, v] of Object.entries(vars)) {
      // WebGPU keeps a tensor's values on the host until first use: upload now, so the host copy goes
      if (onWebGPU()) (tf.backend() as WebGPUBackend).uploadToGPU(v.dataId);
      this.params[n] = v;
    }
  }

  /** The parameters, or (freeing what was uploaded) an error listing every NaN or infinite tensor. */
  finish(): Record<string, tf.Variable> {
    if (this.nonFinite.length) {
      this.dispose();
      throw new Error(`${NON_FINITE}:\n${this.nonFinite.join('\n')}`);
    }
    return this.params;
  }

  dispose(): void {
    tf.dispose(Object.values(this.params));
  }
}

export interface WeightOptions {
  stats?: (s: LoadStats) => void;
  onTensor?: (done: number, total: number) => void;
  /** The largest GPU binding: vocabulary tables past it load in row parts (default: this device's). */
  bindingBytes?: number;
  /** A model to infer with only: q|k|v and gate|up packed as they load (packed_weights.ts); off by default. */
  pack?: boolean;
  /**
   * On WebGPU: 'f16' holds every matrix as half-precision words (f16_weights.ts: a model to infer with, or a
   * LoRA run's frozen base, f16_base.ts); 'f32' (the default here: full fine-tuning) as float32. Other backends
   * always get f32.
   */
  weights?: WeightPrecision;
  /** Why f16 was refused for this model (it then loads in f32); default: a warning on the console. */
  onF16Refused?: (why: string) => void;
}

/** Whether this load holds its matrices in half precision. */
const loadsF16 = (opts: WeightOptions) => opts.weights === 'f16' && onWebGPU();

/** Runs a load in f16 when asked, and again in f32 when a matrix refuses f16 (saying why). */
function withF16Fallback<T>(opts: WeightOptions, load: (f16: boolean) => T): T {
  const refused = (e: unknown) => {
    const why = `half-precision weights refused, loading float32: ${(e as Error).message}`;
    (opts.onF16Refused ?? console.warn)(why);
    return load(false);
  };
  if (!loadsF16(opts)) return load(false);
  try {
    const out = load(true);
    if (out instanceof Promise)
      return out.catch((e) => (e instanceof F16Refused ? refused(e) : Promise.reject(e))) as T;
    return out;
  } catch (e) {
    if (e instanceof F16Refused) return refused(e);
    throw e;
  }
}

/** Reads, checks and uploads a model's weights from a FileSource, one tensor at a time. */
export async function loadWeights(
  source: FileSource,
  cfg: LlamaConfig,
  opts: WeightOptions = {},
): Promise<Record<string, tf.Variable>> {
  const load = (f16: boolean) => loadWeightsAs(source, cfg, opts, f16);
  return withF16Fallback(opts, load);
}

async function loadWeightsAs(
  source: FileSource,
  cfg: LlamaConfig,
  opts: WeightOptions,
  f16: boolean,
): Promise<Record<string, tf.Variable>> {
  const { shards, weightMap } = shardNames(await source.read(INDEX_FILE));
  const binding = opts.bindingBytes ?? deviceBufferLimit();
  const reader = new WeightReader(cfg, weightMap, binding, opts.pack ?? false, f16);
  for (const file of shards) {
    const n = headerLength(file, await source.readRange(file, 0, 8));
    reader.addShard(file, await source.readRange(file, 8, 8 + n), 8 + n);
  }
  const plan = reader.plan();
  try {
    for (const [i, l] of plan.entries()) {
      const bytes = await source.readRange(l.file, l.dataStart + l.entry.begin, l.dataStart + l.entry.end);
      reader.accept(l, bytes, true);
      opts.onTensor?.(i + 1, plan.length);
    }
  } catch (e) {
    reader.dispose();
    throw e;
  }
  opts.stats?.(reader.stats);
  return reader.finish();
}

/** loadWeights over files already in memory, synchronously (our checkpoints, small uploads). */
export function weightsFromFiles(
  files: Record<string, Uint8Array>,
  cfg: LlamaConfig,
  opts: Pick<WeightOptions, 'bindingBytes' | 'pack' | 'weights' | 'onF16Refused'> = {},
): Record<string, tf.Variable> {
  const load = (f16: boolean) => weightsFromFilesAs(files, cfg, opts, f16);
  return withF16Fallback(opts, load);
}

function weightsFromFilesAs(
  files: Record<string, Uint8Array>,
  cfg: LlamaConfig,
  opts: WeightOptions,
  f16: boolean,
): Record<string, tf.Variable> {
  const { shards, weightMap } = shardNames(Object.hasOwn(files, INDEX_FILE) ? files[INDEX_FILE] : null);
  const binding = opts.bindingBytes ?? deviceBufferLimit();
  const reader = new WeightReader(cfg, weightMap, binding, opts.pack ?? false, f16);
  for (const file of shards) {
    const bytes = fileBytes(files, file);
    const n = headerLength(file, bytes, bytes.length);
    reader.addShard(file, bytes.subarray(8, 8 + n), 8 + n, bytes.length);
  }
  try {
    for (const l of reader.plan())
      reader.accept(l, files[l.file].subarray(l.dataStart + l.entry.begin, l.dataStart + l.entry.end), false);
  } catch (e) {
    reader.dispose();
    throw e;
  }
  return reader.finish();
}

// Vocabulary tables too large for one GPU binding (Qwen2.5-0.5B's [151936, 896] embedding is 519 MiB as
// float32; many adapters bind 128 MiB or 2 GiB at most) held as row parts: a WebGPU program binds whole
// buffers, so the table is uploaded part by part and never exists whole on the device. The parts sit in
// the model's parameters under `${name}#${i}` (rows in order); a table that fits stays one tensor under its
// own name, so only a split model takes the split paths (model.ts's embedding lookup and LM head).
// A checkpoint holds whole tables: saving joins the parts on the host (readParamData). Leaves out: a test
// of training a split model (the optimizer sees each part as a parameter; the update is elementwise).
import * as tf from '@tensorflow/tfjs';
import { f32Values, valueShape } from './f16_weights';
import { pickTargets } from './kernels/log_probs';

/** The parameters that are [V, C] tables read by vocabulary row. */
export const VOCAB_TABLES = ['model.embed_tokens.weight', 'lm_head.weight'];

const F32 = 4;

/** Rows of width C that fit one binding of `bindingBytes` as float32 (0: not even one row). */
export function vocabRowsPerPart(C: number, bindingBytes: number): number {
  return Math.floor(bindingBytes / (C * F32));
}

/** The name of part i of a split table. */
export const vocabPartName = (name: string, i: number) => `${name}#${i}`;

/** A table's row parts in order: the whole table as one part when it is not split; [] when absent. */
export function vocabParts(p: Record<string, tf.Tensor>, name: string): tf.Tensor2D[] {
  if (Object.hasOwn(p, name)) return [p[name] as tf.Tensor2D];
  const parts: tf.Tensor2D[] = [];
  for (let i = 0; Object.hasOwn(p, vocabPartName(name, i)); i++) parts.push(p[vocabPartName(name, i)] as tf.Tensor2D);
  return parts;
}

/** A [rows, C] float32 block as a variable (the loader's choice: as it is, or as half-precision words). */
export type TableUpload = (data: Float32Array, shape: [number, number]) => tf.Variable;
const asF32: TableUpload = (data, shape) => tf.tidy(() => tf.variable(tf.tensor2d(data, shape), true));

/**
 * A [V, C] table's float32 data as variables: one under `name` when it fits `bindingBytes` as float32, else
 * row parts of at most that many bytes (each uploaded from a view of the data, no copy of the table).
 */
export function vocabVariables(
  name: string,
  data: Float32Array,
  [V, C]: number[],
  bindingBytes: number,
  upload: TableUpload = asF32,
): Record<string, tf.Variable> {
  if (V * C * F32 <= bindingBytes) return { [name]: upload(data, [V, C]) };
  const rows = vocabRowsPerPart(C, bindingBytes);
  if (rows === 0) throw new Error(`${name}: one row of ${C * F32} bytes is past the binding limit of ${bindingBytes}`);
  const out: Record<string, tf.Variable> = {};
  for (let i = 0, r = 0; r < V; i++, r += rows) {
    const n = Math.min(rows, V - r);
    const part = data.subarray(r * C, (r + n) * C);
    out[vocabPartName(name, i)] = upload(part, [n, C]);
  }
  return out;
}

/**
 * log p(targets) [...] under softmax(logits / τ) from the logits' row parts [..., V_i], without joining
 * them: z = logits / τ, logsumexp(z) = logsumexp_i(logsumexp(z_i)), log p(t) = z_t − logsumexp(z), z_t
 * read from the part holding t (0 for a target outside [0, V), as the unsplit paths give). With
 * `entropy`, H = logsumexp(z) − Σ_i Σ_v softmax(z)_v · z_v, part by part.
 */
export function splitLogProbs(
  parts: tf.Tensor[],
  targets: tf.Tensor,
  temperature: number,
  entropy: boolean,
): { logps: tf.Tensor; entropy?: tf.Tensor } {
  return tf.tidy(() => {
    const z = parts.map((x) => (temperature === 1 ? x : tf.div(x, temperature)));
    const lse = tf.logSumExp(
      tf.stack(
        z.map((zi) => tf.logSumExp(zi, -1)),
        -1,
      ),
      -1,
    );
    let start = 0;
    const picked = z.map((zi) => {
      const local = tf.sub(targets, tf.scalar(start, 'int32'));
      start += zi.shape[zi.shape.length - 1];
      return pickTargets(zi, local); // the one-hot of an id outside the part is all zeros
    });
    const valid = tf.cast(tf.logicalAnd(tf.greaterEqual(targets, 0), tf.less(targets, start)), 'float32');
    const logps = tf.mul(tf.sub(tf.addN(picked), lse), valid);
    if (!entropy) return { logps };
    const l = tf.expandDims(lse, -1);
    const expected = tf.addN(z.map((zi) => tf.sum(tf.mul(tf.exp(tf.sub(zi, l)), zi), -1)));
    return { logps, entropy: tf.sub(lse, expected) };
  });
}

/** Whether `name` is a vocabulary table or one of its parts. */
export const isVocabTable = (name: string) => VOCAB_TABLES.includes(name.replace(/#\d+$/, ''));

/** Every parameter's float32 data read back by its Hugging Face name, a split table's parts joined by row;
 * half-precision words as the f32 values they hold (exact). */
export async function readParamData(
  params: Record<string, tf.Tensor>,
): Promise<Record<string, { shape: number[]; data: Float32Array }>> {
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, t] of Object.entries(params)) {
    const whole = name.replace(/#\d+$/, '');
    if (whole !== name && !name.endsWith('#0')) continue; // read with part 0
    const parts = whole === name ? [t] : vocabParts(params, whole);
    const rows = parts.reduce((n, x) => n + x.shape[0], 0);
    const shape = [rows, ...valueShape(parts[0]).slice(1)];
    const data = new Float32Array(parts.reduce((n, x) => n + tf.util.sizeFromShape(valueShape(x)), 0));
    let at = 0;
    for (const x of parts) {
      const values = await f32Values(x);
      data.set(values, at);
      at += values.length;
    }
    out[whole] = { shape, data };
  }
  return out;
}

// Reader and writer for the safetensors format: u64 little-endian header length N, N bytes of JSON
// header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}}` padded with
// spaces to a multiple of 8, then the data buffer. Writes F32 (bits copied: -0, denormals and NaN payloads
// survive), F16 or BF16 (rounded to nearest even, as numpy's astype(float16) and torch's .bfloat16()); reads
// F32, F16 and BF16 into Float32Array exactly. The header and each tensor's bytes are also exposed on their
// own (safetensorsHeader, encodeTensor, readHeaderLength, parseHeaderJson, decodeTensor), so a large file is
// written or read one tensor at a time (hf/weights.ts). Leaves out other dtypes (I64, F64, …).

import { keyedTable } from './keyed_table';

export type SafeDtype = 'F32' | 'F16' | 'BF16';
export interface TensorIn {
  shape: number[];
  data: Float32Array;
}
export interface TensorOut {
  dtype: SafeDtype;
  shape: number[];
  data: Float32Array;
}
export interface SafetensorsFile {
  tensors: Record<string, TensorOut>;
  metadata: Record<string, string>;
}

const BYTES: Record<SafeDtype, number> = { F32: 4, F16: 2, BF16: 2 };
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const MAX_HEADER = 100_000_000; // the reference implementation's limit

function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** IEEE half (binary16) bits → float32 bits. Exact: every half is a float32 (NaN payload kept). */
export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0; // inf / NaN
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0; // 112 = 127 − 15
  if (mant === 0) return sign >>> 0; // ±0
  // subnormal: value = mant · 2^−24; shift until the implicit bit appears
  let e = 113; // the exponent of 2^−14 in float32 is 113
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

/** bfloat16 bits are the top half of float32 bits. */
export function bf16BitsToF32Bits(b: number): number {
  return (b << 16) >>> 0;
}

const scratch = new DataView(new ArrayBuffer(4));
function bitsToFloat(bits: number): number {
  scratch.setUint32(0, bits);
  return scratch.getFloat32(0);
}
export const halfToFloat = (h: number): number => bitsToFloat(f16BitsToF32Bits(h));
export const bf16ToFloat = (b: number): number => bitsToFloat(bf16BitsToF32Bits(b));

/** float32 bits → IEEE half bits, rounded to nearest, ties to even. Past 65504 (from 65520 up) gives ±inf;
 * below half the smallest subnormal (2^−25) gives ±0; a NaN keeps its top payload bits (made non-zero, so it
 * stays a NaN), so every half survives f16 → f32 → f16 bit for bit. */
export function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant === 0 ? 0 : mant >>> 13 || 1); // inf / NaN
  const e = exp - 112; // the half's biased exponent (112 = 127 − 15)
  if (e >= 0x1f) return sign | 0x7c00; // beyond the largest half even before rounding
  if (e <= 0) {
    // a half subnormal (or zero), in units of 2^−24: full · 2^(e − 14), with full = 1.mant as 24-bit integer
    if (e < -10) return sign; // below 2^−25: rounds to zero
    return sign | roundShift(mant | 0x800000, 14 - e);
  }
  // normal: drop 13 mantissa bits; a carry out of the mantissa bumps the exponent (up to inf), as it should
  return sign | (((e << 10) | (mant >>> 13)) + roundUp(mant & 0x1fff, 0x1000, mant >>> 13));
}

/** `value >> shift`, rounded to nearest, ties to even. */
function roundShift(value: number, shift: number): number {
  const q = value >>> shift;
  return q + roundUp(value & ((1 << shift) - 1), 1 << (shift - 1), q);
}

/** 1 when the dropped bits `rest` round the kept `q` up: above half, or exactly half and `q` odd. */
const roundUp = (rest: number, half: number, q: number): number =>
  Number(rest > half || (rest === half && (q & 1) === 1));

/** float32 bits → bfloat16 bits (the top half), rounded to nearest, ties to even; a NaN stays a NaN. */
export function f32BitsToBf16Bits(x: number): number {
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return (x >>> 16) | 0x40; // NaN, made quiet
  return (x + 0x7fff + ((x >>> 16) & 1)) >>> 16; // a carry may reach the exponent (up to inf), as it should
}

/** The dtypes the writer stores: F32 as is, F16 and BF16 rounded to nearest even (half the bytes). */
export type WriteDtype = SafeDtype;

/** A tensor's place in a file being written: its name, dtype and shape. */
export interface TensorSpec {
  name: string;
  dtype: SafeDtype;
  shape: number[];
}

/** The 8-byte length and the padded JSON header for tensors stored in this order, back to back. */
export function safetensorsHeader(specs: TensorSpec[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = keyedTable(); // tensor names are data: "__proto__" is a name too
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const { name, dtype, shape } of specs) {
    if (name === '__metadata__') throw new Error('safetensors: "__metadata__" is not a valid tensor name');
    const bytes = numel(shape) * BYTES[dtype];
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const raw = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil(raw.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen).fill(0x20, 8 + raw.length); // pad with spaces
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(raw, 8);
  return out;
}

/** One tensor's data bytes in `dtype` (little-endian). */
export function encodeTensor(data: Float32Array, dtype: SafeDtype): Uint8Array {
  const out = new Uint8Array(data.length * BYTES[dtype]);
  if (dtype === 'F32') {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    if (!LITTLE_ENDIAN) swapBytes(out, 0, data.length, 4);
    return out;
  }
  const view = new DataView(out.buffer);
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length); // bits, so NaN payloads are kept
  const conv = dtype === 'F16' ? f32BitsToF16Bits : f32BitsToBf16Bits;
  for (let i = 0; i < data.length; i++) view.setUint16(2 * i, conv(bits[i]), true);
  return out;
}

export function writeSafetensors(
  tensors: Record<string, TensorIn>,
  metadata?: Record<string, string>,
  dtype: WriteDtype = 'F32',
): Uint8Array {
  for (const [name, t] of Object.entries(tensors))
    if (numel(t.shape) !== t.data.length)
      throw new Error(
        `safetensors: tensor "${name}" has shape [${t.shape}] (${numel(t.shape)} values) but ${t.data.length} values`,
      );
  const header = safetensorsHeader(
    Object.entries(tensors).map(([name, t]) => ({ name, dtype, shape: t.shape })),
    metadata,
  );
  const total = Object.values(tensors).reduce((n, t) => n + t.data.length * BYTES[dtype], header.length);
  const out = new Uint8Array(total);
  out.set(header);
  let at = header.length;
  for (const t of Object.values(tensors)) {
    out.set(encodeTensor(t.data, dtype), at);
    at += t.data.length * BYTES[dtype];
  }
  return out;
}

function swapBytes(buf: Uint8Array, start: number, count: number, width: number): void {
  for (let i = 0; i < count; i++) buf.subarray(start + i * width, start + (i + 1) * width).reverse();
}

/** A tensor in a file's header: data_offsets [begin, end) count from the data buffer's start. */
export interface Entry {
  name: string;
  dtype: SafeDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** The header's length N from a file's first 8 bytes (of `fileSize` when known), checked. */
export function readHeaderLength(first: Uint8Array, fileSize?: number): number {
  if (first.length < 8)
    throw new Error(`safetensors: file is ${first.length} bytes, shorter than the 8-byte header length`);
  const n = new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0, true);
  if (fileSize !== undefined && n > BigInt(fileSize - 8))
    throw new Error(
      `safetensors: header length ${n} is beyond the file (${fileSize - 8} bytes after the length field)`,
    );
  if (n > BigInt(MAX_HEADER)) throw new Error(`safetensors: header length ${n} exceeds the ${MAX_HEADER}-byte limit`);
  return Number(n);
}

function parseHeader(bytes: Uint8Array): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  const dataStart = 8 + readHeaderLength(bytes, bytes.length);
  return { ...parseHeaderJson(bytes.subarray(8, dataStart)), dataStart };
}

/** The header's JSON (the N bytes after the length) → its tensors, each checked, and the metadata. */
export function parseHeaderJson(json: Uint8Array): { entries: Entry[]; metadata: Record<string, string> } {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (e) {
    throw new Error(`safetensors: header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new Error('safetensors: header is not a JSON object');
  const metadata: Record<string, string> = keyedTable();
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof info !== 'object' || info === null || Array.isArray(info))
        throw new Error('safetensors: "__metadata__" is not an object');
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== 'string') throw new Error(`safetensors: "__metadata__"."${k}" is not a string`);
        metadata[k] = v;
      }
    } else entries.push(parseEntry(name, info));
  }
  return { entries, metadata };
}

function parseEntry(name: string, info: unknown): Entry {
  const bad = (what: string) => new Error(`safetensors: tensor "${name}" ${what}`);
  if (typeof info !== 'object' || info === null) throw bad('has no {dtype, shape, data_offsets} object');
  const { dtype, shape, data_offsets: off } = info as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in BYTES))
    throw bad(`has unsupported dtype ${JSON.stringify(dtype)} (supported: F32, F16, BF16)`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
    throw bad(`has invalid shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isInteger(o) && o >= 0))
    throw bad(`has invalid data_offsets ${JSON.stringify(off)}`);
  const [begin, end] = off as number[];
  if (end < begin) throw bad(`has data_offsets [${begin}, ${end}] that end before they begin`);
  const want = numel(shape) * BYTES[dtype as SafeDtype];
  if (end - begin !== want)
    throw bad(
      `has data_offsets [${begin}, ${end}] (${end - begin} bytes) but shape [${shape}] × ${dtype} needs ${want} bytes`,
    );
  return { name, dtype: dtype as SafeDtype, shape, begin, end };
}

/**
 * Offsets must tile the data buffer exactly: sorted, no overlap, no gap, nothing left over (the last two
 * only when the buffer's length is known; a ranged read past the end fails instead).
 */
export function checkLayout(entries: Entry[], dataLen = Number.POSITIVE_INFINITY): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let prev = '';
  for (const e of sorted) {
    if (e.end > dataLen)
      throw new Error(
        `safetensors: tensor "${e.name}" has data_offsets [${e.begin}, ${e.end}] out of range (data buffer is ` +
          `${dataLen} bytes)`,
      );
    if (e.begin < at)
      throw new Error(
        `safetensors: tensor "${e.name}" at [${e.begin}, ${e.end}] overlaps tensor "${prev}" (ends at ${at})`,
      );
    if (e.begin > at)
      throw new Error(
        `safetensors: tensor "${e.name}" begins at ${e.begin}, leaving a gap after ` +
          `${prev ? `tensor "${prev}"` : 'the header'} (ends at ${at}); offsets must be contiguous`,
      );
    at = e.end;
    prev = e.name;
  }
  if (at !== dataLen && Number.isFinite(dataLen))
    throw new Error(
      `safetensors: data buffer is ${dataLen} bytes but the tensors cover ${at}; ${dataLen - at} trailing bytes`,
    );
}

/** One tensor's bytes → its values, exactly (an own buffer: `bytes` may be dropped). */
export function decodeTensor(bytes: Uint8Array, dtype: SafeDtype, count: number): Float32Array {
  if (dtype === 'F32') {
    const copy = bytes.slice(); // own, aligned buffer
    if (!LITTLE_ENDIAN) swapBytes(copy, 0, count, 4);
    return new Float32Array(copy.buffer, 0, count);
  }
  const out = new Float32Array(count);
  const bits = new Uint32Array(out.buffer); // write bits, so NaN payloads are not canonicalised
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const conv = dtype === 'F16' ? f16BitsToF32Bits : bf16BitsToF32Bits;
  for (let i = 0; i < count; i++) bits[i] = conv(view.getUint16(2 * i, true));
  return out;
}

export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  const { entries, metadata, dataStart } = parseHeader(bytes);
  checkLayout(entries, bytes.length - dataStart);
  const tensors: Record<string, TensorOut> = keyedTable();
  for (const e of entries) {
    const slice = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    tensors[e.name] = { dtype: e.dtype, shape: e.shape, data: decodeTensor(slice, e.dtype, numel(e.shape)) };
  }
  return { tensors, metadata };
}

// Reader and writer for the safetensors format: u64 little-endian header length N, N bytes of JSON
// header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}}` padded with
// spaces to a multiple of 8, then the data buffer. Writes F32 only; reads F32, F16 and BF16 into
// Float32Array. Float bits are copied, never re-rounded, so -0, denormals and NaN payloads survive.
// Leaves out other dtypes (I64, F64, …) and memory-mapping: the whole file is one Uint8Array.

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

export function writeSafetensors(tensors: Record<string, TensorIn>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__') throw new Error('safetensors: "__metadata__" is not a valid tensor name');
    if (numel(t.shape) !== t.data.length)
      throw new Error(
        `safetensors: tensor "${name}" has shape [${t.shape}] (${numel(t.shape)} values) but ${t.data.length} values`,
      );
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.length * 4] };
    offset += t.data.length * 4;
  }
  const raw = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil(raw.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLen), true);
  out.set(raw, 8);
  out.fill(0x20, 8 + raw.length, 8 + headerLen); // pad with spaces
  let at = 8 + headerLen;
  for (const t of Object.values(tensors)) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(bytes, at);
    if (!LITTLE_ENDIAN) swapBytes(out, at, t.data.length, 4);
    at += t.data.byteLength;
  }
  return out;
}

function swapBytes(buf: Uint8Array, start: number, count: number, width: number): void {
  for (let i = 0; i < count; i++) buf.subarray(start + i * width, start + (i + 1) * width).reverse();
}

interface Entry {
  name: string;
  dtype: SafeDtype;
  shape: number[];
  begin: number;
  end: number;
}

function parseHeader(bytes: Uint8Array): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  if (bytes.length < 8)
    throw new Error(`safetensors: file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8))
    throw new Error(
      `safetensors: header length ${n} is beyond the file (${bytes.length - 8} bytes after the length field)`,
    );
  if (n > BigInt(MAX_HEADER)) throw new Error(`safetensors: header length ${n} exceeds the ${MAX_HEADER}-byte limit`);
  const dataStart = 8 + Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (e) {
    throw new Error(`safetensors: header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new Error('safetensors: header is not a JSON object');
  const metadata: Record<string, string> = {};
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
  return { entries, metadata, dataStart };
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

/** Offsets must tile the data buffer exactly: sorted, no overlap, no gap, nothing left over. */
function checkLayout(entries: Entry[], dataLen: number): void {
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
  if (at !== dataLen)
    throw new Error(
      `safetensors: data buffer is ${dataLen} bytes but the tensors cover ${at}; ${dataLen - at} trailing bytes`,
    );
}

function toFloat32(bytes: Uint8Array, dtype: SafeDtype, count: number): Float32Array {
  const copy = bytes.slice(); // own, aligned buffer
  if (dtype === 'F32') {
    if (!LITTLE_ENDIAN) swapBytes(copy, 0, count, 4);
    return new Float32Array(copy.buffer, 0, count);
  }
  const out = new Float32Array(count);
  const bits = new Uint32Array(out.buffer); // write bits, so NaN payloads are not canonicalised
  const view = new DataView(copy.buffer);
  const conv = dtype === 'F16' ? f16BitsToF32Bits : bf16BitsToF32Bits;
  for (let i = 0; i < count; i++) bits[i] = conv(view.getUint16(2 * i, true));
  return out;
}

export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  const { entries, metadata, dataStart } = parseHeader(bytes);
  checkLayout(entries, bytes.length - dataStart);
  const tensors: Record<string, TensorOut> = {};
  for (const e of entries) {
    const slice = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    tensors[e.name] = { dtype: e.dtype, shape: e.shape, data: toFloat32(slice, e.dtype, numel(e.shape)) };
  }
  return { tensors, metadata };
}

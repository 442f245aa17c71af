// Half precision on the host: IEEE 754 binary16 bits to and from f32, and two halves packed per 32-bit word
// the way WGSL's unpack2x16float reads them (element 2i in the low 16 bits, 2i + 1 in the high). tfjs has
// no f16 dtype, so frozen weights live on the GPU as int32 tensors of such words (kernels/matmul_f16.ts).
// bf16 → f16 goes through f32: f16 keeps 3 more mantissa bits but only 5 exponent bits, so values past
// 65504 become ±Infinity and values under 2^-24 flush to zero; f16RangeReport says whether a tensor fits.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The f32 value of half-precision bits `h` (exact: every half is an f32). */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The nearest half to f32 `v` (ties to even), as bits; past the largest half, ±Infinity; NaN stays NaN. */
export function f32ToF16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15; // the half's biased exponent
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // under half the smallest subnormal: ±0
    const m = mant | 0x800000; // the implicit bit, then shift into the subnormal range
    const shift = 14 - e;
    let h = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && h & 1)) h += 1;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h += 1; // a carry into the exponent is still right
  return sign | h;
}

/** bf16 bits → f16 bits (through f32; see the header for what does not fit). */
export function bf16BitsToF16Bits(b: number): number {
  u32[0] = b << 16;
  return f32ToF16Bits(f32[0]);
}

/** Halves (an even count) packed two per int32 word: element 2i low, 2i + 1 high. */
export function packF16(halves: Uint16Array): Int32Array {
  if (halves.length % 2) throw new Error(`packing f16 needs an even count of values, got ${halves.length}`);
  return new Int32Array(halves.buffer.slice(halves.byteOffset, halves.byteOffset + halves.byteLength));
}

/** f32 values → halves (nearest, ties to even). */
export function toF16Bits(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32ToF16Bits(values[i]);
  return out;
}

/** Packed words → the f32 values they hold. */
export function unpackF16(words: Int32Array): Float32Array {
  const halves = new Uint16Array(words.buffer, words.byteOffset, words.length * 2);
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) out[i] = f16BitsToF32(halves[i]);
  return out;
}

/** How many f32 values leave half precision's finite range or flush to zero (nonzero values under 2^-24). */
export function f16RangeReport(values: ArrayLike<number>): { overflow: number; flushed: number; maxAbs: number } {
  let overflow = 0,
    flushed = 0,
    maxAbs = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (a > maxAbs) maxAbs = a;
    if (a >= 65520)
      overflow++; // rounds to Infinity
    else if (a > 0 && a <= 2 ** -25) flushed++; // rounds to zero (2^-25 ties to the even 0)
  }
  return { overflow, flushed, maxAbs };
}

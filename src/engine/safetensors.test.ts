// What must hold for safetensors: F32 round trips bit-exactly (-0, NaN payloads, denormals); F16 and
// BF16 convert exactly (known bit patterns, subnormals, ±inf, NaN); F16 writing rounds to nearest even
// (known bit patterns, and against a brute-force nearest-half search), every half survives a round trip;
// a file written by the Python `safetensors` library reads; every kind of corrupt file is refused with a
// message naming the problem.
import { describe, expect, it } from 'vitest';
import {
  bf16ToFloat,
  f16BitsToF32Bits,
  f32BitsToF16Bits,
  halfToFloat,
  readSafetensors,
  writeSafetensors,
} from './safetensors';

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** A file from a hand-written header and raw data bytes (to build f16/bf16 and broken files). */
function rawFile(header: unknown, data: Uint8Array, headerText = JSON.stringify(header)): Uint8Array {
  const h = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}
const u16le = (xs: number[]) => new Uint8Array(new Uint16Array(xs).buffer); // test hosts are little-endian

describe('half and bfloat16 conversion', () => {
  it('converts binary16 bit patterns exactly, subnormals included', () => {
    const cases: [number, number][] = [
      [0x3c00, 1],
      [0xc000, -2],
      [0x7bff, 65504],
      [0x3555, 0.333251953125],
      [0x0001, 2 ** -24],
      [0x03ff, 1023 * 2 ** -24],
      [0x0400, 2 ** -14],
      [0x8001, -(2 ** -24)],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
      [0x0000, 0],
    ];
    for (const [h, want] of cases) expect(halfToFloat(h), `0x${h.toString(16)}`).toBe(want);
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(halfToFloat(0xfd01)).toBeNaN();
  });

  it('converts bfloat16 bit patterns exactly, subnormals included', () => {
    const cases: [number, number][] = [
      [0x3f80, 1],
      [0xc040, -3],
      [0x4049, 3.140625],
      [0x7f7f, 3.3895313892515355e38],
      [0x0001, 2 ** -133],
      [0x0080, 2 ** -126],
      [0x7f80, Infinity],
      [0xff80, -Infinity],
    ];
    for (const [b, want] of cases) expect(bf16ToFloat(b), `0x${b.toString(16)}`).toBe(want);
    expect(Object.is(bf16ToFloat(0x8000), -0)).toBe(true);
    expect(bf16ToFloat(0x7fc0)).toBeNaN();
  });
});

/** A number → its float32's bits. */
const f32Bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0];
const toHalf = (x: number) => f32BitsToF16Bits(f32Bits(x));

/** The reference: the finite halves ascending (from the reader, tested above), searched for the nearest; a tie
 * goes to the even bit pattern; past 65504 by half an ulp (16) or more, inf. Independent of the writer's bit
 * arithmetic: plain comparisons of exact doubles. */
const positiveHalves = Array.from({ length: 0x7c00 }, (_, h) => halfToFloat(h));
function nearestHalfReference(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  let lo = 0,
    hi = positiveHalves.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (positiveHalves[mid] <= a) lo = mid;
    else hi = mid;
  }
  const dLo = a - positiveHalves[lo],
    dHi = positiveHalves[hi] - a;
  return sign | (dLo < dHi || (dLo === dHi && lo % 2 === 0) ? lo : hi);
}

describe('float32 → half (F16 writing)', () => {
  it('rounds known values to the expected bit patterns: ties to even, overflow, underflow, subnormals', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [1 / 3, 0x3555],
      [65504, 0x7bff],
      [65519.99, 0x7bff], // below the halfway point to the next (absent) half
      [65520, 0x7c00], // halfway, the odd mantissa rounds up: inf
      [1e10, 0x7c00],
      [-1e10, 0xfc00],
      [1 + 2 ** -11, 0x3c00], // a tie between 0x3c00 and 0x3c01: to the even one
      [1 + 3 * 2 ** -11, 0x3c02], // a tie between 0x3c01 and 0x3c02: to the even one
      [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie
      [2 ** -14, 0x0400], // the smallest normal
      [1023.5 * 2 ** -24, 0x0400], // a tie between the largest subnormal and the smallest normal
      [2 ** -24, 0x0001], // the smallest subnormal
      [2 ** -25, 0x0000], // a tie between 0 and 2^−24: to zero
      [2 ** -25 * (1 + 2 ** -23), 0x0001], // the next float above it
      [3 * 2 ** -25, 0x0002], // a tie between 1 and 2 units: to 2
      [5 * 2 ** -25, 0x0002], // a tie between 2 and 3 units: to 2
      [-(2 ** -24), 0x8001],
      [1e-30, 0x0000],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [0, 0x0000],
      [-0, 0x8000],
    ];
    for (const [x, want] of cases) expect(toHalf(x), `${x}`).toBe(want);
  });

  it('keeps NaN a NaN (payload top bits kept, never turned into inf)', () => {
    expect(f32BitsToF16Bits(0x7fc00000)).toBe(0x7e00); // the quiet NaN
    expect(f32BitsToF16Bits(0xffc00000)).toBe(0xfe00);
    expect(f32BitsToF16Bits(0x7f800001)).toBe(0x7c01); // payload only in the dropped bits: still a NaN
    expect(f32BitsToF16Bits(0x7fa02000)).toBe(0x7d01);
  });

  it('every half survives half → float32 → half bit for bit (all 65,536 patterns)', () => {
    const bad: string[] = [];
    // through bits, not numbers: a NaN's payload may not survive a trip through a JS number
    for (let h = 0; h < 0x10000; h++) if (f32BitsToF16Bits(f16BitsToF32Bits(h)) !== h) bad.push(h.toString(16));
    expect(bad).toEqual([]);
  });

  it('agrees with a brute-force nearest-half search on 200,000 floats across the range', () => {
    let seed = 12345;
    const rand = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    const bad: string[] = [];
    for (let i = 0; i < 200_000; i++) {
      // random float32 bit patterns with exponents around the half range (2^−30 … 2^17), both signs
      const exp = 97 + (rand() % 48);
      const bits = ((rand() & 1) << 31) | (exp << 23) | (rand() & 0x7fffff);
      const x = new Float32Array(new Uint32Array([bits >>> 0]).buffer)[0];
      const got = f32BitsToF16Bits(bits >>> 0),
        want = nearestHalfReference(x);
      if (got !== want && bad.length < 5) bad.push(`${x}: got 0x${got.toString(16)}, want 0x${want.toString(16)}`);
    }
    expect(bad).toEqual([]);
  });
});

describe('safetensors', () => {
  it('round-trips F32 bit-exactly: -0, NaN payloads, denormals, ±inf, metadata', () => {
    const special = new Float32Array(
      new Uint32Array([0x80000000, 0x7fc00001, 0xffa00000, 0x00000001, 0x007fffff, 0x7f800000, 0xff7fffff, 0x3f800000])
        .buffer,
    );
    const odd = new Float32Array(7).map((_, i) => Math.fround(Math.PI * (i - 3)));
    const bytes = writeSafetensors(
      {
        special: { shape: [2, 4], data: special },
        odd: { shape: [7], data: odd },
        empty: { shape: [0, 3], data: new Float32Array(0) },
      },
      { format: 'pt' },
    );
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLen % 8).toBe(0);
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ format: 'pt' });
    expect(Object.keys(back.tensors)).toEqual(['special', 'odd', 'empty']);
    expect(back.tensors.special.shape).toEqual([2, 4]);
    expect(back.tensors.special.dtype).toBe('F32');
    expect(bits(back.tensors.special.data)).toEqual(bits(special));
    expect(bits(back.tensors.odd.data)).toEqual(bits(odd));
    expect(back.tensors.empty.data.length).toBe(0);
  });

  it('writes F16: half the bytes, each value the nearest half, shapes and metadata kept', () => {
    const data = new Float32Array([1, -2.5, 0.1, 65519, 1e6, 2 ** -25, -0, Number.NaN, Math.PI]);
    const big = new Float32Array([7, ...data, 7]);
    const bytes = writeSafetensors({ w: { shape: [3, 3], data: big.subarray(1, 10) } }, { format: 'pt' }, 'F16');
    const f32 = writeSafetensors({ w: { shape: [3, 3], data } }, { format: 'pt' });
    expect(f32.length - bytes.length).toBe(9 * 2); // the headers differ only in the dtype's name
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ format: 'pt' });
    expect(back.tensors.w).toMatchObject({ dtype: 'F16', shape: [3, 3] });
    const want = Array.from(data, (x) => halfToFloat(nearestHalfReference(x)));
    expect(Array.from(back.tensors.w.data).slice(0, 7)).toEqual(want.slice(0, 7));
    expect(Object.is(back.tensors.w.data[6], -0)).toBe(true);
    expect(back.tensors.w.data[7]).toBeNaN();
    expect(back.tensors.w.data[8]).toBe(3.140625);
    expect(back.tensors.w.data[4]).toBe(Infinity);
    // written F16 read back and written again gives the same file (the halves are exact in float32)
    expect(writeSafetensors({ w: back.tensors.w }, { format: 'pt' }, 'F16')).toEqual(bytes);
  });

  it('writes views into larger buffers correctly (byteOffset respected)', () => {
    const big = new Float32Array([9, 1, 2, 3, 9]);
    const back = readSafetensors(writeSafetensors({ x: { shape: [3], data: big.subarray(1, 4) } }));
    expect(Array.from(back.tensors.x.data)).toEqual([1, 2, 3]);
  });

  it('reads a file written by the Python safetensors library (F32 + F16)', () => {
    // safetensors.numpy.save({"half": f16 [2,5], "single": f32 [2,3]}, metadata={"format": "pt"})
    const b64 =
      'oAAAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJwdCJ9LCJzaW5nbGUiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzIs' +
      'M10sImRhdGFfb2Zmc2V0cyI6WzAsMjRdfSwiaGFsZiI6eyJkdHlwZSI6IkYxNiIsInNoYXBlIjpbMiw1XSwiZGF0YV9vZmZzZXRz' +
      'IjpbMjQsNDRdfX0gICAgICAgAADAPwAAAIACAAAAAACAfwAAEMDK8klxADwAwP97AQD/AwAEAHwA/ACAAH4=';
    const f = readSafetensors(new Uint8Array(Buffer.from(b64, 'base64')));
    expect(f.metadata).toEqual({ format: 'pt' });
    expect(f.tensors.single.shape).toEqual([2, 3]);
    expect(Array.from(f.tensors.single.data)).toEqual([
      1.5,
      -0,
      Math.fround(3e-45),
      Infinity,
      -2.25,
      Math.fround(1e30),
    ]);
    expect(f.tensors.half.dtype).toBe('F16');
    const h = Array.from(f.tensors.half.data);
    expect(h.slice(0, 9)).toEqual([1, -2, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, Infinity, -Infinity, -0]);
    expect(h[9]).toBeNaN();
  });

  it('reads F16 and BF16 tensors at unaligned offsets', () => {
    const data = new Uint8Array([...u16le([0x3c00, 0xc000, 0x0001]), ...u16le([0x3f80, 0x4049])]);
    const f = readSafetensors(
      rawFile(
        {
          h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
          b: { dtype: 'BF16', shape: [1, 2], data_offsets: [6, 10] },
        },
        data,
      ),
    );
    expect(Array.from(f.tensors.h.data)).toEqual([1, -2, 2 ** -24]);
    expect(Array.from(f.tensors.b.data)).toEqual([1, 3.140625]);
    expect(f.tensors.b).toMatchObject({ dtype: 'BF16', shape: [1, 2] });
  });

  const four = new Uint8Array(16);
  const t = (dtype: string, shape: number[], off: number[]) => ({ dtype, shape, data_offsets: off });
  const corrupt: [string, () => Uint8Array, RegExp][] = [
    ['a file shorter than 8 bytes', () => new Uint8Array(5), /file is 5 bytes, shorter than the 8-byte header length/],
    [
      'a truncated file',
      () => writeSafetensors({ x: { shape: [4], data: new Float32Array(4) } }).subarray(0, 30),
      /header length \d+ is beyond the file/,
    ],
    [
      'a header length beyond the file',
      () => {
        const b = rawFile({}, four);
        new DataView(b.buffer).setBigUint64(0, 1n << 40n, true);
        return b;
      },
      /header length 1099511627776 is beyond the file/,
    ],
    ['a garbage header', () => rawFile(null, four, '{"x": [1, 2'), /header is not valid JSON/],
    ['a header that is not an object', () => rawFile([1, 2], four), /header is not a JSON object/],
    ['an unknown dtype', () => rawFile({ w: t('I64', [2], [0, 16]) }, four), /tensor "w" has unsupported dtype "I64"/],
    ['a bad shape', () => rawFile({ w: t('F32', [-1], [0, 16]) }, four), /tensor "w" has invalid shape \[-1\]/],
    [
      'offsets not matching shape × dtype',
      () => rawFile({ w: t('F32', [3], [0, 16]) }, four),
      /tensor "w" has data_offsets \[0, 16\] \(16 bytes\) but shape \[3\] × F32 needs 12 bytes/,
    ],
    [
      'offsets out of range',
      () => rawFile({ w: t('F32', [5], [0, 20]) }, four),
      /tensor "w" has data_offsets \[0, 20\] out of range \(data buffer is 16 bytes\)/,
    ],
    [
      'reversed offsets',
      () => rawFile({ w: t('F32', [0], [8, 4]) }, four),
      /tensor "w" has data_offsets \[8, 4\] that end before they begin/,
    ],
    [
      'overlapping offsets',
      () => rawFile({ a: t('F32', [3], [0, 12]), b: t('F32', [2], [8, 16]) }, four),
      /tensor "b" at \[8, 16\] overlaps tensor "a"/,
    ],
    [
      'a gap between tensors',
      () => rawFile({ a: t('F32', [1], [0, 4]), b: t('F32', [2], [8, 16]) }, four),
      /tensor "b" begins at 8, leaving a gap after tensor "a"/,
    ],
    [
      'trailing bytes',
      () => rawFile({ a: t('F32', [2], [0, 8]) }, four),
      /data buffer is 16 bytes but the tensors cover 8; 8 trailing bytes/,
    ],
    [
      'non-string metadata',
      () => rawFile({ __metadata__: { step: 3 } }, new Uint8Array(0)),
      /"__metadata__"."step" is not a string/,
    ],
  ];
  for (const [what, make, msg] of corrupt) {
    it(`refuses ${what}`, () => {
      expect(() => readSafetensors(make())).toThrow(msg);
    });
  }

  it('refuses to write data that does not match its shape', () => {
    expect(() => writeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(
      /tensor "w" has shape \[2,2\] \(4 values\) but 3 values/,
    );
  });
});

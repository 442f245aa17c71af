// Half-precision bits on the host, against IEEE 754 binary16 written out by hand: known bit patterns, ties to
// even at normal and subnormal spacing, overflow to Infinity, flush to zero, and every one of the 65,536
// halves through f32 and back unchanged (NaNs stay NaN). Packing puts element 2i in the low 16 bits, as
// WGSL's unpack2x16float reads it.
import { describe, expect, it } from 'vitest';
import { bf16BitsToF16Bits, f16BitsToF32, f16RangeReport, f32ToF16Bits, packF16, toF16Bits, unpackF16 } from './f16';

describe('f16 bits', () => {
  // [value, its nearest half's bits, the value those bits hold]
  it.each([
    [1, 0x3c00, 1],
    [-2, 0xc000, -2],
    [65504, 0x7bff, 65504], // the largest half
    [2 ** -14, 0x0400, 2 ** -14], // the smallest normal
    [2 ** -24, 0x0001, 2 ** -24], // the smallest subnormal
    [0.5 * 2 ** -14, 0x0200, 0.5 * 2 ** -14],
    [0, 0x0000, 0],
    [-0, 0x8000, -0],
    [0.1, 0x2e66, 0.0999755859375],
    [1 / 3, 0x3555, 0.333251953125],
    [Number.POSITIVE_INFINITY, 0x7c00, Number.POSITIVE_INFINITY],
    [Number.NEGATIVE_INFINITY, 0xfc00, Number.NEGATIVE_INFINITY],
  ])('%s → bits %i → %s', (v, h, held) => {
    expect(f32ToF16Bits(v)).toBe(h);
    expect(Object.is(f16BitsToF32(h), held)).toBe(true);
  });

  it('rounds to nearest, ties to even, at normal and subnormal spacing; overflows to Infinity; flushes to 0', () => {
    const ulp1 = 2 ** -10; // spacing above 1
    expect(f32ToF16Bits(1 + ulp1 / 2)).toBe(0x3c00); // tie → even (1.0)
    expect(f32ToF16Bits(1 + (3 * ulp1) / 2)).toBe(0x3c02); // tie → even (1 + 2 ulp)
    expect(f32ToF16Bits(1 + ulp1 / 2 + 2 ** -20)).toBe(0x3c01); // just past the tie
    expect(f32ToF16Bits(2 ** -25)).toBe(0x0000); // half the smallest subnormal: tie → 0
    expect(f32ToF16Bits(1.5 * 2 ** -24)).toBe(0x0002); // tie between 1 and 2 subnormal units → 2
    expect(f32ToF16Bits(2 ** -26)).toBe(0x0000);
    expect(f32ToF16Bits(65519)).toBe(0x7bff);
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // the tie past the largest half rounds to Infinity
    expect(f32ToF16Bits(1023.5 * 2 ** -24)).toBe(0x0400); // a subnormal rounding up into the normals
    expect(Number.isNaN(f16BitsToF32(f32ToF16Bits(Number.NaN)))).toBe(true);
  });

  it('every half survives f32 and back', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = f16BitsToF32(h);
      if (Number.isNaN(v)) expect(Number.isNaN(f16BitsToF32(f32ToF16Bits(v)))).toBe(true);
      else expect(f32ToF16Bits(v)).toBe(h);
    }
  });

  it('bf16 → f16 through f32: 1.5 and −0.75 exact, 1e5 overflows, 1e-9 flushes', () => {
    const bf = (v: number) => new Uint32Array(new Float32Array([v]).buffer)[0] >>> 16;
    expect(bf16BitsToF16Bits(bf(1.5))).toBe(0x3e00);
    expect(bf16BitsToF16Bits(bf(-0.75))).toBe(0xba00);
    expect(bf16BitsToF16Bits(bf(1e5))).toBe(0x7c00);
    expect(bf16BitsToF16Bits(bf(1e-9))).toBe(0x0000);
    expect(f16RangeReport([1e5, -7e4, 1e-9, 0, 2, 2 ** -25])).toEqual({ overflow: 2, flushed: 2, maxAbs: 1e5 });
  });

  it('packs element 2i low and 2i + 1 high, and unpacks to the same values', () => {
    const words = packF16(toF16Bits([1, -2, 0.5, 65504]));
    expect(Array.from(words, (w) => w >>> 0)).toEqual(
      [(0xc000 << 16) + 0x3c00, (0x7bff << 16) + 0x3800].map((x) => x >>> 0),
    );
    expect(Array.from(unpackF16(words))).toEqual([1, -2, 0.5, 65504]);
    expect(() => packF16(new Uint16Array(3))).toThrow('even count');
  });
});

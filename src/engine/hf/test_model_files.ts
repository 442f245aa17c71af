// A small model repository's files for the download and cache tests: a tiny checkpoint (tiny_checkpoint.ts:
// SmolLM2's shape, BF16, a model.safetensors of 119 kB — large enough to drop a connection in the middle of)
// plus what a Hub repository also holds and a loader must skip (a README, an ONNX export). Deterministic for
// a seed; another seed gives other weights of the same size (a new upload that only the ETag tells apart).
import { TINY_VARIANTS, tinyCheckpoint } from './tiny_checkpoint';

export const TEST_VARIANT = TINY_VARIANTS.find((v) => v.name === 'llama-tied-bf16')!;

/** The repository's files, path → bytes. */
export function testModelFiles(seed = 1, variant = TEST_VARIANT): Record<string, Uint8Array> {
  return {
    ...tinyCheckpoint(variant, seed).files,
    'README.md': new TextEncoder().encode('# test model\n'),
    'onnx/model.onnx': new Uint8Array(1000).fill(7),
  };
}

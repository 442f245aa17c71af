// RoPE's rotation speed per head dimension (the inverse frequencies), as transformers computes them in
// modeling_rope_utils.py: the default θ^(−2i/D); `linear` scaling divides every one by the factor; `llama3`
// scaling divides the low frequencies (wavelength past original_max / low_freq_factor) by the factor, keeps
// the high ones (wavelength under original_max / high_freq_factor) and blends the band between. The
// attention factor is 1 for all three, so the tables alone carry the scaling. And the cos/sin tables
// themselves, computed in float64 on the host and rounded to float32 once: WGSL's own cos and sin are only
// good to ~2e-4 (the spec allows 2^−11), too coarse for long contexts and large theta.
import * as tf from '@tensorflow/tfjs';
import { headDim, type LlamaConfig, type RopeScaling } from './config';

/** transformers' _compute_llama3_parameters on the default frequencies. */
function llama3(invFreq: number[], s: RopeScaling): number[] {
  const { factor } = s,
    low = s.low_freq_factor!,
    high = s.high_freq_factor!,
    old = s.original_max_position_embeddings!;
  return invFreq.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < old / high) return f; // high frequency: kept
    if (wavelen > old / low) return f / factor; // low frequency: interpolated by the factor
    const smooth = (old / wavelen - low) / (high - low);
    return (1 - smooth) * (f / factor) + smooth * f;
  });
}

/** The D/2 inverse frequencies f_i (position · f_i is dimension i's angle, and i + D/2's), scaling applied. */
export function ropeInvFreq(cfg: LlamaConfig): number[] {
  const D = headDim(cfg);
  const base = Array.from({ length: D / 2 }, (_, i) => 1 / cfg.rope_theta ** ((2 * i) / D));
  const s = cfg.rope_scaling;
  if (!s) return base;
  return s.rope_type === 'linear' ? base.map((f) => f / s.factor) : llama3(base, s);
}

/** cos and sin of position · f_i (scaling included) for each position: [n, D] rows, from float64. */
export function ropeRows(positions: ArrayLike<number>, cfg: LlamaConfig): { cos: Float32Array; sin: Float32Array } {
  const D = headDim(cfg),
    half = D / 2;
  const f = ropeInvFreq(cfg);
  const cos = new Float32Array(positions.length * D),
    sin = new Float32Array(positions.length * D);
  for (let n = 0; n < positions.length; n++)
    for (let i = 0; i < half; i++) {
      const angle = positions[n] * f[i];
      cos[n * D + i] = cos[n * D + i + half] = Math.cos(angle);
      sin[n * D + i] = sin[n * D + i + half] = Math.sin(angle);
    }
  return { cos, sin };
}

/**
 * cos and sin tables for rotate-half RoPE at the given positions (integers below `span`; the default, the
 * last axis's length, holds for positions from a mask): [..., D], gathered from host-computed rows.
 */
export function ropeTables(
  positions: tf.Tensor,
  cfg: LlamaConfig,
  span = positions.shape[positions.rank - 1],
): { cos: tf.Tensor; sin: tf.Tensor } {
  const D = headDim(cfg);
  const rows = ropeRows(
    Array.from({ length: span }, (_, i) => i),
    cfg,
  );
  const at = tf.cast(positions, 'int32');
  return { cos: tf.gather(tf.tensor2d(rows.cos, [span, D]), at), sin: tf.gather(tf.tensor2d(rows.sin, [span, D]), at) };
}

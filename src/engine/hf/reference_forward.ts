// For tests: the Hugging Face forward of LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM and
// Qwen3ForCausalLM in plain JavaScript float64, one unpadded sequence at a time, written from transformers'
// modeling files and independent of the engine (it reads config.json's raw fields and the tensors by
// name, and shares no code with model.ts, config.ts or rope_freqs.ts): embedding, RMSNorm, q/k/v/o with
// their biases, Qwen3's per-head q/k RMSNorm, RoPE (rotate-half; default, linear and llama3 frequencies),
// repeat_kv, causal softmax attention, SwiGLU, tied or untied head. Greedy decoding re-runs the whole
// sequence each step (no cache), so the engine's KV cache is checked against a forward without one.
// Leaves out batching, padding, sliding windows and sampling.

type Json = Record<string, unknown>;
export type Tensors = Record<string, { shape: number[]; data: ArrayLike<number> }>;

/** y = W x (+ b) for W [out, in]. */
function matVec(w: { shape: number[]; data: ArrayLike<number> }, x: Float64Array, b?: ArrayLike<number>) {
  const [out, inp] = w.shape;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = b ? b[o] : 0;
    for (let i = 0; i < inp; i++) s += w.data[o * inp + i] * x[i];
    y[o] = s;
  }
  return y;
}

/** x / √(mean(x²) + ε) · w over each `width`-wide run of x. */
function rmsNorm(x: Float64Array, w: ArrayLike<number>, eps: number, width = x.length): Float64Array {
  const y = new Float64Array(x.length);
  for (let s = 0; s < x.length; s += width) {
    let ss = 0;
    for (let i = 0; i < width; i++) ss += x[s + i] ** 2;
    const r = 1 / Math.sqrt(ss / width + eps);
    for (let i = 0; i < width; i++) y[s + i] = x[s + i] * r * w[i];
  }
  return y;
}

/** transformers' inverse frequencies: _compute_default / _linear_scaling / _llama3 _rope_parameters. */
function inverseFrequencies(c: Json, D: number): number[] {
  const theta = (c.rope_theta as number | undefined) ?? 10000;
  const base = Array.from({ length: D / 2 }, (_, i) => 1 / theta ** ((2 * i) / D));
  const s = c.rope_scaling as Json | null | undefined;
  const type = s ? (s.rope_type ?? s.type) : 'default';
  if (!s || type === 'default') return base;
  const factor = s.factor as number;
  if (type === 'linear') return base.map((f) => f / factor);
  if (type !== 'llama3') throw new Error(`reference: rope type ${String(type)}`);
  // as _compute_llama3_parameters, step by step
  const old = s.original_max_position_embeddings as number,
    low = s.low_freq_factor as number,
    high = s.high_freq_factor as number;
  return base.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    const llama = wavelen > old / low ? f / factor : f;
    const smooth = (old / wavelen - low) / (high - low);
    const smoothed = ((1 - smooth) * llama) / factor + smooth * llama;
    const medium = !(wavelen < old / high) && !(wavelen > old / low);
    return medium ? smoothed : llama;
  });
}

/** rotate_half RoPE of every D-wide head of x at position `pos`. */
function rope(x: Float64Array, D: number, pos: number, invFreq: number[]): Float64Array {
  const y = new Float64Array(x.length),
    h = D / 2;
  for (let s = 0; s < x.length; s += D)
    for (let i = 0; i < h; i++) {
      const c = Math.cos(pos * invFreq[i]),
        n = Math.sin(pos * invFreq[i]);
      y[s + i] = x[s + i] * c - x[s + i + h] * n;
      y[s + i + h] = x[s + i + h] * c + x[s + i] * n;
    }
  return y;
}

/** The architecture's switches, read the way each transformers model class reads its config. */
function switches(c: Json) {
  const type = c.model_type as string;
  const H = c.num_attention_heads as number;
  const attnBias = c.attention_bias === true && (type === 'llama' || type === 'qwen3');
  return {
    H,
    Hkv: (c.num_key_value_heads as number | undefined) ?? H,
    D: (c.head_dim as number | undefined) ?? (c.hidden_size as number) / H,
    qkvBias: attnBias || type === 'qwen2',
    oBias: attnBias,
    mlpBias: type === 'llama' && c.mlp_bias === true,
    qkNorm: type === 'qwen3',
    eps: c.rms_norm_eps as number,
    tied: c.tie_word_embeddings === true,
  };
}

/** Logits [T][V] of one unpadded sequence (positions 0…T−1). */
export function referenceLogits(config: Json, t: Tensors, ids: number[]): Float64Array[] {
  const s = switches(config);
  const need = (name: string) => {
    const x = t[name];
    if (!x) throw new Error(`reference: tensor ${name} is missing`);
    return x;
  };
  const invFreq = inverseFrequencies(config, s.D);
  const E = need('model.embed_tokens.weight');
  const C = E.shape[1];
  let xs = ids.map((id) => Float64Array.from({ length: C }, (_, i) => E.data[id * C + i]));
  for (let l = 0; l < (config.num_hidden_layers as number); l++) {
    const p = `model.layers.${l}.`;
    const lin = (name: string, x: Float64Array, bias: boolean) =>
      matVec(need(`${p}${name}.weight`), x, bias ? need(`${p}${name}.bias`).data : undefined);
    const hs = xs.map((x) => rmsNorm(x, need(`${p}input_layernorm.weight`).data, s.eps));
    const heads = (name: string, norm: string, h: Float64Array, pos: number) => {
      let y: Float64Array = lin(`self_attn.${name}`, h, s.qkvBias);
      if (s.qkNorm) y = rmsNorm(y, need(`${p}self_attn.${norm}.weight`).data, s.eps, s.D);
      return rope(y, s.D, pos, invFreq);
    };
    const q = hs.map((h, pos) => heads('q_proj', 'q_norm', h, pos));
    const k = hs.map((h, pos) => heads('k_proj', 'k_norm', h, pos));
    const v = hs.map((h) => lin('self_attn.v_proj', h, s.qkvBias));
    xs = xs.map((x, i) => {
      const y = new Float64Array(s.H * s.D);
      for (let hd = 0; hd < s.H; hd++) {
        const kv = Math.floor(hd / (s.H / s.Hkv)); // repeat_kv: each kv head serves H / Hkv query heads in a row
        const scores = Array.from({ length: i + 1 }, (_, j) => {
          let dot = 0;
          for (let d = 0; d < s.D; d++) dot += q[i][hd * s.D + d] * k[j][kv * s.D + d];
          return dot / Math.sqrt(s.D);
        });
        const m = Math.max(...scores);
        const e = scores.map((z) => Math.exp(z - m));
        const sum = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= i; j++) for (let d = 0; d < s.D; d++) y[hd * s.D + d] += (e[j] / sum) * v[j][kv * s.D + d];
      }
      const a = lin('self_attn.o_proj', y, s.oBias).map((o, c) => x[c] + o);
      const h = rmsNorm(a, need(`${p}post_attention_layernorm.weight`).data, s.eps);
      const g = lin('mlp.gate_proj', h, s.mlpBias),
        u = lin('mlp.up_proj', h, s.mlpBias);
      const act = g.map((z, n) => (z / (1 + Math.exp(-z))) * u[n]);
      return lin('mlp.down_proj', act, s.mlpBias).map((o, c) => a[c] + o);
    });
  }
  const head = s.tied ? E : need('lm_head.weight');
  return xs.map((x) => matVec(head, rmsNorm(x, need('model.norm.weight').data, s.eps)));
}

/** Greedy ids after `prompt` (at most `steps`, ending at a stop id), and each step's top-2 logit gap. */
export function referenceGreedy(
  config: Json,
  t: Tensors,
  prompt: number[],
  steps: number,
  stopIds: readonly number[],
): { ids: number[]; gaps: number[] } {
  const ids: number[] = [],
    gaps: number[] = [];
  for (let i = 0; i < steps; i++) {
    const logits = referenceLogits(config, t, [...prompt, ...ids]).at(-1)!;
    const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b);
    ids.push(order[0]);
    gaps.push(logits[order[0]] - logits[order[1]]);
    if (stopIds.includes(order[0])) break;
  }
  return { ids, gaps };
}

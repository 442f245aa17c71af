// The model's tensors by their Hugging Face names, with shapes from the config. The model, the checkpoint
// reader/writer, the weight loader and the optimizer all agree through this one table.
// Shapes follow PyTorch nn.Linear: weight is [out_features, in_features], bias [out_features].
import { headDim, layerFeatures, type LlamaConfig } from './config';

export function paramShapes(cfg: LlamaConfig): Record<string, number[]> {
  const C = cfg.hidden_size,
    V = cfg.vocab_size,
    I = cfg.intermediate_size;
  const D = headDim(cfg),
    H = cfg.num_attention_heads,
    Hkv = cfg.num_key_value_heads;
  const f = layerFeatures(cfg);
  const shapes: Record<string, number[]> = { 'model.embed_tokens.weight': [V, C] }; // [V, C]
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    const linear = (name: string, out: number, inp: number, bias: boolean) => {
      shapes[`${p}${name}.weight`] = [out, inp];
      if (bias) shapes[`${p}${name}.bias`] = [out];
    };
    shapes[`${p}input_layernorm.weight`] = [C];
    linear('self_attn.q_proj', H * D, C, f.qkvBias);
    linear('self_attn.k_proj', Hkv * D, C, f.qkvBias);
    linear('self_attn.v_proj', Hkv * D, C, f.qkvBias);
    if (f.qkNorm) {
      shapes[`${p}self_attn.q_norm.weight`] = [D]; // one norm over D, shared by every head
      shapes[`${p}self_attn.k_norm.weight`] = [D];
    }
    linear('self_attn.o_proj', C, H * D, f.oBias);
    shapes[`${p}post_attention_layernorm.weight`] = [C];
    linear('mlp.gate_proj', I, C, f.mlpBias);
    linear('mlp.up_proj', I, C, f.mlpBias);
    linear('mlp.down_proj', C, I, f.mlpBias);
  }
  shapes['model.norm.weight'] = [C];
  if (!cfg.tie_word_embeddings) shapes['lm_head.weight'] = [V, C]; // [V, C]
  return shapes;
}

/** Whether a tensor starts at one (an RMSNorm's weight) rather than random or zero. */
export const isNormWeight = (name: string): boolean => /norm\.weight$/.test(name);

export function countParams(cfg: LlamaConfig): number {
  return Object.values(paramShapes(cfg)).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
}

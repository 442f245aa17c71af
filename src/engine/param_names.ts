// The model's tensors by their Hugging Face Llama names, with shapes from the config. The model, the
// checkpoint reader/writer and the optimizer all agree through this one table.
// Shapes follow PyTorch nn.Linear: weight is [out_features, in_features].
import { headDim, type LlamaConfig } from './config';

export function paramShapes(cfg: LlamaConfig): Record<string, number[]> {
  const C = cfg.hidden_size,
    V = cfg.vocab_size,
    I = cfg.intermediate_size;
  const hd = headDim(cfg),
    H = cfg.num_attention_heads,
    Hkv = cfg.num_key_value_heads;
  const shapes: Record<string, number[]> = { 'model.embed_tokens.weight': [V, C] }; // [V, C]
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    shapes[`${p}input_layernorm.weight`] = [C];
    shapes[`${p}self_attn.q_proj.weight`] = [H * hd, C];
    shapes[`${p}self_attn.k_proj.weight`] = [Hkv * hd, C];
    shapes[`${p}self_attn.v_proj.weight`] = [Hkv * hd, C];
    shapes[`${p}self_attn.o_proj.weight`] = [C, H * hd];
    shapes[`${p}post_attention_layernorm.weight`] = [C];
    shapes[`${p}mlp.gate_proj.weight`] = [I, C];
    shapes[`${p}mlp.up_proj.weight`] = [I, C];
    shapes[`${p}mlp.down_proj.weight`] = [C, I];
  }
  shapes['model.norm.weight'] = [C];
  if (!cfg.tie_word_embeddings) shapes['lm_head.weight'] = [V, C]; // [V, C]
  return shapes;
}

export function countParams(cfg: LlamaConfig): number {
  return Object.values(paramShapes(cfg)).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
}

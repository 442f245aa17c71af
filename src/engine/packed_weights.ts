// Packed projections for a model loaded to infer only (judging, evaluating, benchmarking a real model): each
// layer's [Wq | Wk | Wv] and [W_gate | W_up] stacked on the output axis, their biases likewise and Qwen3's
// q_norm | k_norm weights, held in the params under vLLM's names (`self_attn.qkv_proj.weight`,
// `mlp.gate_up_proj.weight`, `….bias`, `self_attn.qk_norm.weight`) in place of their members. The fused
// decode step reads them as they are (one matmul for q, k, v, one for gate and up); the stock forward does
// the same matmul and splits its output (model.ts), so no weight is ever held twice. They are assembled on
// the host while the weights stream in (hf/weights.ts): the host holds one group's buffer and one member
// beyond the model, the device never holds a member and its pack at once.
// A model that trains keeps its members: its gradients, optimizer state, LoRA adapters and checkpoints are
// per projection, by Hugging Face name (decode.ts packs a copy of those per generation instead).
import type * as tf from '@tensorflow/tfjs';
import { headDim, layerFeatures, type LlamaConfig } from './config';
import { paramShapes } from './param_names';

/** A packed tensor's name and its members' names, stacked on the first axis in this order. */
export interface PackGroup {
  name: string;
  members: string[];
}

const attn = (l: number) => `model.layers.${l}.self_attn.`;
const mlp = (l: number) => `model.layers.${l}.mlp.`;
export const qkvName = (l: number, end: 'weight' | 'bias') => `${attn(l)}qkv_proj.${end}`;
export const qkNormName = (l: number) => `${attn(l)}qk_norm.weight`;
export const gateUpName = (l: number, end: 'weight' | 'bias') => `${mlp(l)}gate_up_proj.${end}`;

/** The widths of q, k and v in a packed q|k|v projection's output: H·D, Hkv·D, Hkv·D. */
export function packedQkvSizes(cfg: LlamaConfig): number[] {
  const D = headDim(cfg);
  return [cfg.num_attention_heads * D, cfg.num_key_value_heads * D, cfg.num_key_value_heads * D];
}

/** Every packed tensor of a model of this config, with its members. */
export function packGroups(cfg: LlamaConfig): PackGroup[] {
  const f = layerFeatures(cfg);
  const groups: PackGroup[] = [];
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const qkv = (end: 'weight' | 'bias') => ['q_proj', 'k_proj', 'v_proj'].map((n) => `${attn(l)}${n}.${end}`);
    const gateUp = (end: 'weight' | 'bias') => ['gate_proj', 'up_proj'].map((n) => `${mlp(l)}${n}.${end}`);
    groups.push({ name: qkvName(l, 'weight'), members: qkv('weight') });
    if (f.qkvBias) groups.push({ name: qkvName(l, 'bias'), members: qkv('bias') });
    if (f.qkNorm)
      groups.push({ name: qkNormName(l), members: ['q_norm', 'k_norm'].map((n) => `${attn(l)}${n}.weight`) });
    groups.push({ name: gateUpName(l, 'weight'), members: gateUp('weight') });
    if (f.mlpBias) groups.push({ name: gateUpName(l, 'bias'), members: gateUp('bias') });
  }
  return groups;
}

/** A packed tensor's shape: its members' first axes summed. */
export function packedShape(group: PackGroup, shapes: Record<string, number[]>): number[] {
  const rest = shapes[group.members[0]].slice(1);
  return [group.members.reduce((n, m) => n + shapes[m][0], 0), ...rest];
}

/** Whether every packed tensor of this config fits one GPU binding of `bindingBytes` as float32. */
export function packsFit(cfg: LlamaConfig, bindingBytes: number): boolean {
  const shapes = paramShapes(cfg);
  return packGroups(cfg).every((g) => packedShape(g, shapes).reduce((a, b) => a * b, 4) <= bindingBytes);
}

/** Whether a model's params hold packed projections (loaded to infer only). */
export const isPacked = (p: Record<string, tf.Tensor>): boolean => Object.hasOwn(p, qkvName(0, 'weight'));

/**
 * Packs float32 members on the host as they arrive, in any order: a member's group buffer is allocated when
 * its first member comes and handed out when its last has been copied in.
 */
export class HostPacker {
  private readonly groupOf = new Map<string, { group: PackGroup; offset: number }>();
  private readonly pending = new Map<string, { data: Float32Array; left: number }>();
  private readonly shapes: Record<string, number[]>;

  constructor(cfg: LlamaConfig) {
    this.shapes = paramShapes(cfg);
    for (const group of packGroups(cfg)) {
      let offset = 0;
      for (const m of group.members) {
        this.groupOf.set(m, { group, offset });
        offset += this.shapes[m].reduce((a, b) => a * b, 1);
      }
    }
  }

  /** Bytes held for groups still waiting for members. */
  heldBytes(): number {
    return [...this.pending.values()].reduce((n, p) => n + p.data.byteLength, 0);
  }

  /**
   * A tensor as read: itself when it packs into nothing, null while its group waits for more members, or
   * the completed packed tensor.
   */
  add(name: string, data: Float32Array, shape: number[]): { name: string; data: Float32Array; shape: number[] } | null {
    const at = this.groupOf.get(name);
    if (!at) return { name, data, shape };
    const shapeOut = packedShape(at.group, this.shapes);
    let p = this.pending.get(at.group.name);
    if (!p) {
      p = { data: new Float32Array(shapeOut.reduce((a, b) => a * b, 1)), left: at.group.members.length };
      this.pending.set(at.group.name, p);
    }
    p.data.set(data, at.offset);
    if (--p.left > 0) return null;
    this.pending.delete(at.group.name);
    return { name: at.group.name, data: p.data, shape: shapeOut };
  }
}

/** Host data by name with packed tensors split back into their members (saving a packed model). */
export function unpackData(
  tensors: Record<string, { shape: number[]; data: Float32Array }>,
  cfg: LlamaConfig,
): Record<string, { shape: number[]; data: Float32Array }> {
  const shapes = paramShapes(cfg);
  const out = { ...tensors };
  for (const g of packGroups(cfg)) {
    if (!Object.hasOwn(out, g.name)) continue;
    const { data } = out[g.name];
    delete out[g.name];
    let at = 0;
    for (const m of g.members) {
      const n = shapes[m].reduce((a, b) => a * b, 1);
      out[m] = { shape: shapes[m], data: data.subarray(at, at + n) };
      at += n;
    }
  }
  return out;
}

// A quick look at a model's files that proves they open: config.json parses, the tokenizer loads, and every
// safetensors header reads (tensor count and parameters), without reading any weights. What the cache list
// and a finished download show. Leaves out building the model (weights.ts) and the memory plan.
import { parseHeaderJson, readHeaderLength } from '../safetensors';
import { CONFIG_FILE, type ModelSource } from './source';
import { loadTokenizer, TOKENIZER_FILES } from './tokenizer';

export interface ModelSummary {
  modelType: string;
  layers: number | null;
  hiddenSize: number | null;
  vocabSize: number; // the tokenizer's
  tensors: number;
  parameters: number;
  /** One line: "qwen2 · 1 layer · hidden 128 · 559 tokens · 2 tensors, 71,808 parameters". */
  line: string;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export async function summarizeModel(source: ModelSource): Promise<ModelSummary> {
  const read = async (path: string) => {
    const bytes = await source.read(path);
    if (!bytes) throw new Error(`${source.name}: no ${path}`);
    return bytes;
  };
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(new TextDecoder().decode(await read(CONFIG_FILE))) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${source.name}: ${CONFIG_FILE}: ${(e as Error).message}`);
  }
  const tokenizerFiles: Record<string, Uint8Array> = {};
  for (const name of TOKENIZER_FILES) {
    const bytes = await source.read(name);
    if (bytes) tokenizerFiles[name] = bytes;
  }
  const vocabSize = loadTokenizer(tokenizerFiles).vocabSize;
  let tensors = 0;
  let parameters = 0;
  for (const f of source.files.filter((x) => x.path.endsWith('.safetensors'))) {
    try {
      const n = readHeaderLength(await source.readRange(f.path, 0, 8), f.size);
      for (const e of parseHeaderJson(await source.readRange(f.path, 8, 8 + n)).entries) {
        tensors++;
        parameters += e.shape.reduce((a, b) => a * b, 1);
      }
    } catch (e) {
      throw new Error(`${source.name}: ${f.path}: ${(e as Error).message}`);
    }
  }
  const modelType = typeof config.model_type === 'string' ? config.model_type : 'unknown model type';
  const layers = num(config.num_hidden_layers);
  const hiddenSize = num(config.hidden_size);
  const line = [
    modelType,
    layers === null ? null : `${layers} layer${layers === 1 ? '' : 's'}`,
    hiddenSize === null ? null : `hidden ${hiddenSize}`,
    `${vocabSize.toLocaleString('en-US')} tokens`,
    `${tensors} tensors, ${parameters.toLocaleString('en-US')} parameters`,
  ]
    .filter(Boolean)
    .join(' · ');
  return { modelType, layers, hiddenSize, vocabSize, tensors, parameters, line };
}

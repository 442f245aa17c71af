// A PEFT adapter for a model's files, as PEFT would save one after training: A as PEFT initialises it, B drawn
// from N(0, σ²) (a trained B is not zero), written by peft.ts. For tests that put an adapter on a tiny model
// (the merge command, the judge host, the Judge page). Deterministic for a seed.
import * as tf from '@tensorflow/tfjs';
import { modelFromFiles } from '../checkpoint';
import { addLora, LORA_TARGETS, type LoraSettings, loraParams } from '../lora';
import { exportPeftAdapter } from './peft';

export const TEST_ADAPTER: LoraSettings = { rank: 4, alpha: 8, dropout: 0, targets: LORA_TARGETS, rslora: false };

/** adapter_config.json and adapter_model.safetensors for the model in `modelFiles`, naming `baseModel`. */
export async function testAdapterFiles(
  modelFiles: Record<string, Uint8Array>,
  baseModel: string,
  opts: { seed?: number; sigma?: number; settings?: LoraSettings } = {},
): Promise<Record<string, Uint8Array>> {
  // σ small: the tiny models' embeddings have rows past their tokenizers' vocabulary, which a large change
  // to a random model's logits makes the argmax
  const { seed = 1, sigma = 0.05, settings = TEST_ADAPTER } = opts;
  const m = modelFromFiles(modelFiles);
  try {
    addLora(m.params, m.cfg, settings, { seed });
    let k = seed;
    for (const [name, v] of Object.entries(loraParams(m.params)))
      if (name.endsWith('lora_B.weight')) {
        const b = tf.randomNormal(v.shape, 0, sigma, 'float32', k++);
        v.assign(b);
        b.dispose(); // assign shares the data; this handle is ours
      }
    return await exportPeftAdapter(m.params, m.cfg, settings, baseModel);
  } finally {
    tf.dispose(Object.values(m.params));
  }
}

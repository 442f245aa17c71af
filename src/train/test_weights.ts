// Test helper: a pipeline driven to its end, its model's weights read back, freed, and compared, and the PEFT
// adapter of its 'grpo' checkpoint (the resume tests hold a resumed run to an uninterrupted one).
import * as tf from '@tensorflow/tfjs';
import { CHECKPOINT_ADAPTER_FILES } from '../engine/hf/peft';
import { readSafetensors } from '../engine/safetensors';
import type { Pipeline, PipelineEvent, PipelineModel } from './pipeline';

export type Weights = Record<string, Float32Array>;

export async function weightsOf(m: PipelineModel): Promise<Weights> {
  const out: Weights = {};
  for (const [n, v] of Object.entries(m.params)) out[n] = new Float32Array(await v.data());
  return out;
}

export const freeModel = (m: PipelineModel): void => tf.dispose(Object.values(m.params));

/** max |a − b| over the tensors of `a`. */
export function maxWeightDiff(a: Weights, b: Weights): number {
  let worst = 0;
  for (const n of Object.keys(a))
    for (let i = 0; i < a[n].length; i++) worst = Math.max(worst, Math.abs(a[n][i] - b[n][i]));
  return worst;
}

/** Steps `p` to its end, or until a step's events include one `until` picks, handing each step's events on. */
export async function drive(
  p: Pipeline,
  record: (e: PipelineEvent[]) => Promise<unknown>,
  until?: (e: PipelineEvent) => boolean,
): Promise<void> {
  while (!p.done()) {
    const got = await p.step();
    await record(got);
    if (until && got.some(until)) break;
  }
}

/** The PEFT adapter the run's 'grpo' checkpoint carries, by tensor name. */
export function grpoAdapter(events: PipelineEvent[]): Weights {
  const c = events.find((e) => e.kind === 'checkpoint' && e.name === 'grpo');
  if (c?.kind !== 'checkpoint') throw new Error("no 'grpo' checkpoint");
  const { tensors } = readSafetensors(c.files[CHECKPOINT_ADAPTER_FILES[1]]);
  return Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, t.data]));
}

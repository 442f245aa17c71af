// The worker's judge host: keeps the last few judge models by checkpoint id (evicted ones are freed) and
// judges pairs with train/judge.ts, one request at a time, streaming each trace as 'judge-trace' events.
// No math here. Leaves out storage (the page sends a checkpoint's files when asked) and the run host's
// models: judging a checkpoint of a live run loads its own copy of the weights.
import * as tf from '@tensorflow/tfjs';
import { modelFromFiles } from '../engine/checkpoint';
import { judgePair, type JudgeModel } from '../train/judge';
import type { JudgeApi } from './judge_protocol';
import type { EventSink } from './protocol';

/** Models kept loaded: switching between two checkpoints to compare them costs no reload. */
export const MODELS_KEPT = 2;

export interface JudgeHost extends JudgeApi {
  loaded(): string[]; // checkpoint ids held, least recently used first
  dispose(): void;
}

export function createJudgeHost(emit: EventSink, keep = MODELS_KEPT): JudgeHost {
  const models = new Map<string, JudgeModel>(); // insertion order: least recently used first
  const running = new Map<string, AbortController>();
  let queue: Promise<unknown> = Promise.resolve();

  const free = (id: string) => {
    const m = models.get(id);
    models.delete(id);
    if (m) tf.dispose(Object.values(m.params));
  };

  function modelFor(id: string, files: Parameters<JudgeApi['judge']>[0]['files']): JudgeModel {
    const hit = models.get(id);
    if (hit) {
      models.delete(id); // re-insert: now the most recently used
      models.set(id, hit);
      return hit;
    }
    if (!files) throw new Error(`The worker does not hold checkpoint ${id}; send its files with the request`);
    const m = modelFromFiles(files);
    models.set(id, m);
    while (models.size > keep) free(models.keys().next().value!);
    return m;
  }

  return {
    loaded: () => [...models.keys()],
    dispose: () => [...models.keys()].forEach(free),
    async hasCheckpoint(id) {
      return models.has(id);
    },
    judge(req) {
      const ctl = new AbortController();
      running.set(req.requestId, ctl);
      const work = async () => {
        try {
          const model = modelFor(req.checkpointId, req.files);
          return await judgePair(model, req.pair, {
            ...req.decoding,
            signal: ctl.signal,
            onTrace: (order, sample, text) =>
              emit({ kind: 'judge-trace', requestId: req.requestId, order, sample, text }),
          });
        } catch (e) {
          if (ctl.signal.aborted) throw new Error('cancelled');
          throw e;
        } finally {
          running.delete(req.requestId);
          emit({ kind: 'memory', memory: tf.memory() as never });
        }
      };
      // One judgement at a time: a second request waits, so an eviction never frees a model in use.
      const result = queue.then(work, work);
      queue = result.catch(() => undefined);
      return result;
    },
    cancelJudge(requestId) {
      running.get(requestId)?.abort();
    },
  };
}

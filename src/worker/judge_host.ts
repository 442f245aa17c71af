// The worker's judge host: keeps the last few judge models by id (evicted ones are freed) and judges pairs
// with train/judge.ts, one request at a time, streaming each trace as 'judge-trace' events; checks the pair
// being typed against a model's tokenizer and context (the model's own when it is loaded, else one read from
// the tokenizer files alone), skipping a check that a newer one has overtaken. A checkpoint's files come
// from the page; a cached real model's (a 'model:' id) are read from the model cache, tensor by tensor. A
// PEFT adapter put on a cached model is kept with its id and put on again whenever that model is reloaded.
// No math here. Leaves out storage and the run host's models: judging a checkpoint of a live run loads its
// own copy of the weights.
import * as tf from '@tensorflow/tfjs';
import { type CheckpointFiles, modelFromFiles, modelFromSource } from '../engine/checkpoint';
import { validateConfig } from '../engine/config';
import { importPeftAdapter, readPeftAdapter } from '../engine/hf/peft';
import type { ModelSource } from '../engine/hf/source';
import { loadTokenizer, TOKENIZER_FILES } from '../engine/hf/tokenizer';
import { addLora, loraParams, removeLora } from '../engine/lora';
import { valueShape, type WeightPrecision } from '../engine/f16_weights';
import { isPacked } from '../engine/packed_weights';
import { INFER_WEIGHTS } from '../train/run_config';
import type { TextTokenizer } from '../engine/text_tokenizer';
import { checkJudgeInput, JUDGE_DEFAULTS, judgePair, type JudgeModel } from '../train/judge';
import { yieldToMessages } from '../train/yield_to_messages';
import { type AdapterInfo, cacheIdOf, type JudgeApi } from './judge_protocol';
import type { EventSink } from './protocol';

interface Vocab {
  tok: TextTokenizer;
  context: number;
}

function vocabFromFiles(files: CheckpointFiles): Vocab {
  const config = files['config.json'];
  if (!config) throw new Error('checkpoint: missing config.json');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(config));
  } catch (e) {
    throw new Error(`config.json: not valid JSON (${(e as Error).message})`);
  }
  return { tok: loadTokenizer(files), context: validateConfig(json).max_position_embeddings };
}

/** A cached model's tokenizer and config (small files; the weights are not read). */
async function vocabFiles(source: ModelSource): Promise<CheckpointFiles> {
  const files: CheckpointFiles = {};
  for (const name of ['config.json', ...TOKENIZER_FILES]) {
    const bytes = await source.read(name);
    if (bytes) files[name] = bytes;
  }
  return files;
}

/** Models kept loaded: switching between two checkpoints to compare them costs no reload. */
export const MODELS_KEPT = 2;

/** Opens a cached model's files by its cache id (worker/models_host.ts); rejects naming it when it is gone. */
export type OpenCachedModel = (cacheId: string) => Promise<ModelSource>;
const noCache: OpenCachedModel = (id) => Promise.reject(new Error(`No model cache here to open ${id} from`));

export interface JudgeHost extends JudgeApi {
  loaded(): string[]; // checkpoint ids held, least recently used first
  dispose(): void;
}

export function createJudgeHost(
  emit: EventSink,
  keep = MODELS_KEPT,
  openCached = noCache,
  weights: WeightPrecision = INFER_WEIGHTS,
): JudgeHost {
  const models = new Map<string, JudgeModel>(); // insertion order: least recently used first
  const running = new Map<string, AbortController>();
  const vocabs = new Map<string, Vocab>(); // tokenizers read for checks alone, least recently used first
  const adapters = new Map<string, Record<string, Uint8Array>>(); // a cached model's adapter files, by judge id
  const unpackedNext = new Set<string>(); // models to load unpacked once: an adapter is about to go on
  let newestCheck = -Infinity;
  let queue: Promise<unknown> = Promise.resolve();

  /** The model's tokenizer and context: its loaded model's, else read from its files (kept; a cached model's
   * from the cache), else null. */
  async function vocabFor(id: string, files: CheckpointFiles | undefined): Promise<Vocab | null> {
    const m = models.get(id);
    if (m) return { tok: m.tok, context: m.cfg.max_position_embeddings };
    const cacheId = cacheIdOf(id);
    if (!files && cacheId !== null && !vocabs.has(id)) files = await vocabFiles(await openCached(cacheId));
    const hit = vocabs.get(id) ?? (files && vocabFromFiles(files));
    if (!hit) return null;
    vocabs.delete(id);
    vocabs.set(id, hit);
    while (vocabs.size > keep) vocabs.delete(vocabs.keys().next().value!);
    return hit;
  }

  const free = (id: string) => {
    const m = models.get(id);
    models.delete(id);
    if (m) tf.dispose(Object.values(m.params));
  };

  async function modelFor(id: string, files: Parameters<JudgeApi['judge']>[0]['files']): Promise<JudgeModel> {
    const hit = models.get(id);
    if (hit) {
      models.delete(id); // re-insert: now the most recently used
      models.set(id, hit);
      return hit;
    }
    const cacheId = cacheIdOf(id);
    if (!files && cacheId === null)
      throw new Error(`The worker does not hold checkpoint ${id}; send its files with the request`);
    // judged with only: q|k|v and gate|up packed as it loads, one copy of each weight (engine/packed_weights.ts);
    // a model with an adapter keeps its projections apart, as the adapter's names and shapes are theirs
    const adapter = adapters.get(id);
    const pack = !adapter && !unpackedNext.delete(id);
    // on WebGPU its matrices in half precision unless `weights` says f32 (engine/f16_weights.ts)
    const opts = { pack, weights };
    const m = files ? modelFromFiles(files, opts) : await modelFromSource(await openCached(cacheId!), opts);
    if (adapter) importPeftAdapter(m.params, m.cfg, adapter); // it fitted this model when it was set
    models.set(id, m);
    while (models.size > keep) free(models.keys().next().value!);
    return m;
  }

  /** One request at a time: a second waits, so an eviction never frees a model in use. */
  function queued<T>(work: () => Promise<T>): Promise<T> {
    const result = queue.then(work, work);
    queue = result.catch(() => undefined);
    return result;
  }

  async function putAdapter(id: string, files: Record<string, Uint8Array> | null): Promise<AdapterInfo | null> {
    if (cacheIdOf(id) === null) throw new Error(`An adapter goes on a real model of the model cache, not on ${id}`);
    if (files && models.has(id) && isPacked(models.get(id)!.params)) {
      free(id); // reloaded with its projections apart, for the adapter to go on them
      unpackedNext.add(id);
    }
    const { params, cfg } = await modelFor(id, undefined);
    const shapes = Object.fromEntries(Object.entries(params).map(([n, v]) => [n, valueShape(v)]));
    const read = files && readPeftAdapter(files, cfg, shapes); // refused: the adapter it had stays on
    if (Object.keys(loraParams(params)).length) removeLora(params);
    adapters.delete(id);
    if (!read || !files) return null;
    addLora(params, cfg, read.settings, { weights: read.weights });
    adapters.set(id, files);
    const s = read.settings;
    const tensors = Object.keys(read.weights).length;
    return {
      rank: s.rank,
      alpha: s.alpha,
      targets: [...s.targets],
      rslora: s.rslora,
      baseModel: read.baseModel,
      tensors,
    };
  }

  return {
    loaded: () => [...models.keys()],
    dispose: () => [...models.keys()].forEach(free),
    async checkInput(req) {
      newestCheck = Math.max(newestCheck, req.seq);
      await yieldToMessages(); // newer checks already sent are read first, and this one then skipped
      if (req.seq < newestCheck) return 'superseded';
      const v = await vocabFor(req.checkpointId, req.files);
      return v ? checkJudgeInput(v.tok, v.context, req.pair, JUDGE_DEFAULTS) : 'send-files';
    },
    async hasCheckpoint(id) {
      return models.has(id);
    },
    judge(req) {
      const ctl = new AbortController();
      running.set(req.requestId, ctl);
      const work = async () => {
        try {
          const model = await modelFor(req.checkpointId, req.files);
          return await judgePair(model, req.pair, {
            ...req.decoding,
            signal: ctl.signal,
            onTrace: (order, sample, text, tokens) =>
              emit({ kind: 'judge-trace', requestId: req.requestId, order, sample, text, tokens }),
          });
        } catch (e) {
          if (ctl.signal.aborted) throw new Error('cancelled');
          throw e;
        } finally {
          running.delete(req.requestId);
          emit({ kind: 'memory', memory: tf.memory() as never });
        }
      };
      return queued(work);
    },
    setAdapter(id, files) {
      return queued(() => putAdapter(id, files));
    },
    cancelJudge(requestId) {
      running.get(requestId)?.abort();
    },
  };
}

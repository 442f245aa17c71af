// The judge's part of the worker API and its events: check a pair against a checkpoint's tokenizer and
// context as it is typed (the page never tokenizes: a 5 MB paste would freeze it), judge a pair with a stored
// checkpoint or a real model from the model cache (both orders, greedy or N samples), stream each trace as it is
// generated, stop. The worker keeps a few loaded models and tokenizers by id, so the page sends a checkpoint's
// files only when asked; a cached model's files the worker reads from the cache itself.
// Plain data only (no tensors). Leaves out storage: the page reads checkpoints and saves labels.
import type { CheckpointFiles } from '../engine/checkpoint';
import type { PromptLayout } from '../rm/cor_prompt';
import type { InputCheck, JudgeOrder, JudgeResult, PairText } from '../train/judge';

export type { InputCheck, JudgeOrder, JudgeResult, PairText } from '../train/judge';

/** The decoding of one judge request; `samples` 1 is greedy (temperature unused). */
export interface JudgeDecoding {
  samples: number;
  temperature: number;
  topP?: number; // nucleus for samples > 1; default 1 (off)
  seed: number;
  maxNewTokens: number;
  layout?: PromptLayout; // default 'compact' (our tiny models)
}

/** A judge id naming a model of the model cache (worker/models_protocol.ts's CachedModel.id) rather than a
 * checkpoint: the worker opens it from the cache, with its own tokenizer and chat template. */
export const CACHED_MODEL_PREFIX = 'model:';
export const cachedModelJudgeId = (cacheId: string) => `${CACHED_MODEL_PREFIX}${cacheId}`;
/** The cache id of a judge id naming a cached model; null for a checkpoint's. */
export const cacheIdOf = (judgeId: string): string | null =>
  judgeId.startsWith(CACHED_MODEL_PREFIX) ? judgeId.slice(CACHED_MODEL_PREFIX.length) : null;

export interface JudgeRequest {
  requestId: string; // names the request's trace events and cancels it
  checkpointId: string; // a checkpoint's id, or cachedModelJudgeId(a cached model)
  files?: CheckpointFiles; // needed when the worker does not hold this checkpoint yet
  pair: PairText;
  decoding: JudgeDecoding;
}

/** One check of the pair being typed; `seq` grows with every edit, so a reply to an older text can be dropped. */
export interface InputCheckRequest {
  seq: number;
  checkpointId: string;
  /** Everything but the weights (tokenizer files, config.json), when the worker said 'send-files'. */
  files?: CheckpointFiles;
  pair: PairText;
}
/** 'superseded': a newer check arrived before this one started, so it was skipped. */
export type InputCheckReply = InputCheck | 'superseded' | 'send-files';

/** A PEFT adapter as put on a cached real model: its LoraConfig and the base it names. */
export interface AdapterInfo {
  rank: number;
  alpha: number;
  targets: string[];
  rslora: boolean;
  baseModel: string; // adapter_config.json's base_model_name_or_path ('' when it names none)
  tensors: number; // lora_A and lora_B tensors read
}

export type JudgeEvent =
  /** The text so far of one judgement (full text, not a delta: a lost event costs nothing). */
  { kind: 'judge-trace'; requestId: string; order: JudgeOrder; sample: number; text: string; tokens: number };

export interface JudgeApi {
  /** What the checkpoint's tokenizer and context make of the pair (unknown characters, typed tags, length).
   * 'send-files' when the worker has not read that checkpoint's tokenizer and the request carries no files. */
  checkInput(req: InputCheckRequest): Promise<InputCheckReply>;
  /** Whether the worker holds this checkpoint's model (judge then needs no files). */
  hasCheckpoint(checkpointId: string): Promise<boolean>;
  /** Judges the pair in both orders; traces stream as 'judge-trace' events. Rejects with the reason:
   * a prompt too long for the context, a checkpoint it does not hold and no files, "cancelled". */
  judge(req: JudgeRequest): Promise<JudgeResult>;
  /** Puts a PEFT adapter (adapter_config.json, adapter_model.safetensors) on a cached real model ('model:' id),
   * replacing the one it had, and judges with it from then on; null files take it off. Rejects naming the
   * tensor and both shapes when the adapter does not fit the model. */
  setAdapter(checkpointId: string, files: Record<string, Uint8Array> | null): Promise<AdapterInfo | null>;
  /** Stops that request at its next readback (a no-op once it is done); judge then rejects with "cancelled". */
  cancelJudge(requestId: string): void;
}

// The judge's part of the worker API and its events: judge a pair with a stored checkpoint (both orders,
// greedy or N samples), stream each trace as it is generated, cancel. The worker keeps a few loaded
// models by checkpoint id, so the page sends a checkpoint's files only when `hasCheckpoint` says no.
// Plain data only (no tensors). Leaves out storage: the page reads checkpoints and saves labels.
import type { CheckpointFiles } from '../engine/checkpoint';
import type { PromptLayout } from '../rm/cor_prompt';
import type { JudgeOrder, JudgeResult, PairText } from '../train/judge';

export type { JudgeOrder, JudgeResult, PairText } from '../train/judge';

/** The decoding of one judge request; `samples` 1 is greedy (temperature unused). */
export interface JudgeDecoding {
  samples: number;
  temperature: number;
  seed: number;
  maxNewTokens: number;
  layout?: PromptLayout; // default 'compact' (our tiny models)
}

export interface JudgeRequest {
  requestId: string; // names the request's trace events and cancels it
  checkpointId: string;
  files?: CheckpointFiles; // needed when the worker does not hold this checkpoint yet
  pair: PairText;
  decoding: JudgeDecoding;
}

export type JudgeEvent =
  /** The text so far of one judgement (full text, not a delta: a lost event costs nothing). */
  { kind: 'judge-trace'; requestId: string; order: JudgeOrder; sample: number; text: string };

export interface JudgeApi {
  /** Whether the worker holds this checkpoint's model (judge then needs no files). */
  hasCheckpoint(checkpointId: string): Promise<boolean>;
  /** Judges the pair in both orders; traces stream as 'judge-trace' events. Rejects with the reason:
   * a prompt too long for the context, a checkpoint it does not hold and no files, "cancelled". */
  judge(req: JudgeRequest): Promise<JudgeResult>;
  /** Stops that request at its next readback (a no-op once it is done). */
  cancelJudge(requestId: string): void;
}

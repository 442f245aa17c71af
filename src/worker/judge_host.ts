// The worker's judge host: loads checkpoints and judges pairs for the Judge page. Filled in with it.
import type { JudgeApi } from './judge_protocol';
import type { EventSink } from './protocol';

export function createJudgeHost(emit: EventSink): JudgeApi {
  void emit;
  return {};
}

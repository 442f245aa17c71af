// Which model judges, as the Judge page lists and names it: the shipped built-in judges, the user's own
// checkpoints, and the real models of the model cache (complete ones: a partly downloaded model cannot
// load). A cached model is chosen by its judge id (worker/judge_protocol.ts's 'model:' prefix). Pure.
import type { CheckpointMeta } from '../train/lab_store';
import { cachedModelJudgeId, cacheIdOf } from '../worker/judge_protocol';
import type { CachedModel } from '../worker/models_protocol';
import { builtinJudge } from './builtin_judges';

export interface JudgeModelOption {
  id: string; // the judge id
  name: string;
}

/** A cached model as people name it: the Hub repo at the ref it was loaded by, the URL, the folder's name. */
export function cachedModelName(m: CachedModel): string {
  if (m.kind === 'hub') return `${m.repo}@${m.refs[0] ?? m.revision.slice(0, 7)}`;
  return m.kind === 'folder' ? m.repo.replace(/^folder\//, '') : m.repo;
}

const FROM = { hub: 'Hugging Face Hub', url: 'URL', folder: 'local folder' } as const;

/** The cached models that can judge (every file in the cache), as picker options. */
export const realModelOptions = (cached: readonly CachedModel[]): JudgeModelOption[] =>
  cached
    .filter((m) => m.missing.length === 0)
    .map((m) => ({ id: cachedModelJudgeId(m.id), name: `${cachedModelName(m)} (${FROM[m.kind]})` }));

/** Whether judge id `id` names something that can judge now. */
export function judgeIdAvailable(
  id: string,
  checkpoints: readonly Pick<CheckpointMeta, 'id'>[],
  cached: readonly CachedModel[],
): boolean {
  const cacheId = cacheIdOf(id);
  if (cacheId !== null) return cached.some((m) => m.id === cacheId && m.missing.length === 0);
  return builtinJudge(id) !== undefined || checkpoints.some((c) => c.id === id);
}

/** The line saying which model judges, e.g. "Judging with test-org/tiny@main (Hugging Face Hub), its own
 * tokenizer and chat template". */
export function judgeModelLine(
  id: string,
  checkpoints: readonly Pick<CheckpointMeta, 'id' | 'name' | 'summary'>[],
  cached: readonly CachedModel[],
): string {
  const cacheId = cacheIdOf(id);
  if (cacheId !== null) {
    const m = cached.find((x) => x.id === cacheId);
    const name = m ? `${cachedModelName(m)} (${FROM[m.kind]})` : cacheId;
    return (
      `Judging with ${name}, a real model read from this browser's model cache, with its own tokenizer and ` +
      "chat template (RM-R1's instruct prompt)."
    );
  }
  const b = builtinJudge(id);
  if (b) return `Judging with ${b.name}, shipped with the app.`;
  const c = checkpoints.find((x) => x.id === id);
  return c ? `Judging with your checkpoint ${c.name} (${c.summary}).` : `Judging with checkpoint ${id}.`;
}

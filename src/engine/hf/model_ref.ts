// Names of models on the Hugging Face Hub as people type them: `owner/name`, `owner/name@revision`, and on
// the command line `hf:owner/name[@revision]` (anything else there is a folder). Malformed ids are refused
// with the rule they break. Leaves out datasets and Spaces (models only) and legacy ids without an owner.

export const DEFAULT_REVISION = 'main';
export const DEFAULT_HUB_URL = 'https://huggingface.co';
const EXAMPLE = 'e.g. HuggingFaceTB/SmolLM2-135M-Instruct@main';

/** A model repository on the Hub and the revision asked for (a branch, a tag or a commit sha). */
export interface HubRef {
  repo: string; // owner/name
  revision: string;
}

// The Hub's rule for each part of a repo id: letters, digits, '-', '_', '.'; not starting or ending with
// '-' or '.'; no '--' or '..'; at most 96 characters.
const PART = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?$/;
// Branch and tag names as git allows them in practice (refs/pr/1 included); no spaces, '..' or '@'.
const REVISION = /^[A-Za-z0-9_.][A-Za-z0-9_./-]*$/;

function partProblem(part: string, what: string): string | null {
  if (part === '') return `the ${what} is empty`;
  if (!PART.test(part))
    return `the ${what} "${part}" may hold only letters, digits, '-', '_' and '.', not at its ends (at most 96)`;
  if (part.includes('--') || part.includes('..')) return `the ${what} "${part}" may not hold '--' or '..'`;
  return null;
}

/** `owner/name[@revision]` (an `hf:` prefix is allowed) as a HubRef; throws naming what is wrong. */
export function parseHubId(text: string): HubRef {
  const id = text.trim().replace(/^hf:/, '');
  const fail = (why: string) => new Error(`Model id "${text}": ${why} (expected owner/name[@revision], ${EXAMPLE})`);
  const at = id.indexOf('@');
  const repo = at < 0 ? id : id.slice(0, at);
  const revision = at < 0 ? DEFAULT_REVISION : id.slice(at + 1);
  const parts = repo.split('/');
  if (parts.length !== 2) throw fail(parts.length < 2 ? 'no owner' : 'more than one "/" in the repo');
  const problem = partProblem(parts[0], 'owner') ?? partProblem(parts[1], 'name');
  if (problem) throw fail(problem);
  if (revision === '') throw fail('the revision after "@" is empty');
  if (!REVISION.test(revision) || revision.includes('..') || revision.endsWith('/'))
    throw fail(`the revision "${revision}" is not a branch, tag or commit name`);
  return { repo, revision };
}

/** A command-line `--model` value: `hf:owner/name[@rev]` names a Hub model, anything else a folder. */
export function parseModelArg(arg: string): { kind: 'hub'; ref: HubRef } | { kind: 'dir'; dir: string } {
  if (arg.trim() === '') throw new Error(`--model: empty (give a folder or hf:owner/name[@revision], ${EXAMPLE})`);
  return arg.startsWith('hf:') ? { kind: 'hub', ref: parseHubId(arg) } : { kind: 'dir', dir: arg };
}

/** A commit sha as the Hub writes it: the snapshot it names never changes. */
export const isCommitSha = (revision: string) => /^[0-9a-f]{40}$/.test(revision);

/** `owner/name@revision` as a person reads it. */
export const hubRefLabel = (ref: HubRef) => `${ref.repo}@${ref.revision}`;

/** A Hub URL setting as a base without a trailing slash; throws when it is not an http(s) URL. */
export function normalizeHubUrl(text: string): string {
  const raw = text.trim() || DEFAULT_HUB_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`Hub URL "${text}": not a URL (e.g. ${DEFAULT_HUB_URL} or a mirror's address)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`Hub URL "${text}": must be http(s)`);
  if (url.username || url.password) throw new Error(`Hub URL "${text}": must not hold a user name or password`);
  return url.href.replace(/\/+$/, '');
}

// The judges shipped with the app (public/judges/tiny/, made by `npm run ship-judge`): the list the checkpoint
// pickers show beside the stored checkpoints, their files read from the static folder (once per page), their
// card and run settings, and the held-out world pairs the Judge page offers as examples. Their ids start with
// "builtin:", so one lookup (`checkpointFiles`) serves shipped and stored checkpoints alike. Node tests point
// `setStaticReader` at public/.
import { CHECKPOINT_FILES, type CheckpointFiles, decodeCheckpoint } from '../engine/checkpoint';
import type { Pair } from '../rm/pair';
import { heldOutPairs, type JudgeCard, subsetOf } from '../train/judge_card';
import { applyOverrides, diffFromDefaults, RUN_DEFAULTS, type RunConfig } from '../train/run_config';
import { labStore } from './lab';

export interface BuiltinJudge {
  id: string;
  checkpoint: 'judge' | 'distilled'; // its entry in the card
  dir: string; // under the static folder
  name: string;
}

export const SHIPPED_JUDGE = 'builtin:tiny/judge';
export const SHIPPED_DISTILLED = 'builtin:tiny/distilled';
const SHIPPED_DIR = 'judges/tiny';
export const MODEL_CARD_PATH = `${SHIPPED_DIR}/MODEL_CARD.md`;

export const BUILTIN_JUDGES: BuiltinJudge[] = [
  {
    id: SHIPPED_JUDGE,
    checkpoint: 'judge',
    dir: `${SHIPPED_DIR}/judge`,
    name: 'shipped tiny judge (distilled, then GRPO)',
  },
  {
    id: SHIPPED_DISTILLED,
    checkpoint: 'distilled',
    dir: `${SHIPPED_DIR}/distilled`,
    name: 'shipped tiny judge, distilled only',
  },
];

/** Examples offered per category: the first held-out pairs of each. */
export const EXAMPLES_PER_CATEGORY = 5;

export const isBuiltin = (id: string): boolean => id.startsWith('builtin:');
export const builtinJudge = (id: string): BuiltinJudge | undefined => BUILTIN_JUDGES.find((b) => b.id === id);

/** Reads a file of the static folder by its path under it. */
export type StaticReader = (path: string) => Promise<Uint8Array>;

async function fetchStatic(path: string): Promise<Uint8Array> {
  const url = `${import.meta.env.BASE_URL}${path}`;
  let r: Response;
  try {
    r = await fetch(url);
  } catch (e) {
    throw new Error(`${url}: ${(e as Error).message}`);
  }
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  // a missing file answered with the app's own page (a single-page server's fallback) is still missing
  if (r.headers.get('content-type')?.includes('text/html')) throw new Error(`${url}: not found`);
  return new Uint8Array(await r.arrayBuffer());
}

let readStatic: StaticReader = fetchStatic;
const loaded = new Map<string, Promise<unknown>>();

/** Tests: read the static folder some other way (from public/ in Node; none: fetch). Forgets what was read. */
export function setStaticReader(read: StaticReader = fetchStatic): void {
  readStatic = read;
  loaded.clear();
}

/** Loads once per page; a failure is not kept, so a later call tries again. */
function once<T>(key: string, load: () => Promise<T>): Promise<T> {
  let p = loaded.get(key) as Promise<T> | undefined;
  if (!p) {
    p = load();
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return p;
}

const readJson = async (path: string): Promise<unknown> => {
  const bytes = await readStatic(path);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
};

/** A shipped judge's three files, checked as any imported checkpoint is. */
export function builtinFiles(id: string): Promise<CheckpointFiles> {
  const b = builtinJudge(id);
  if (!b) return Promise.reject(new Error(`no shipped judge "${id}"`));
  return once(id, async () => {
    const files: CheckpointFiles = {};
    for (const name of CHECKPOINT_FILES) files[name] = await readStatic(`${b.dir}/${name}`);
    decodeCheckpoint(files); // throws naming what is wrong
    return files;
  }).catch((e: Error) => {
    throw new Error(`Could not load the ${b.name} from ${b.dir}: ${e.message}`);
  });
}

/** A checkpoint's files by id: a shipped judge from the static folder, any other from storage. */
export async function checkpointFiles(id: string): Promise<CheckpointFiles | null> {
  return isBuiltin(id) ? builtinFiles(id) : (await labStore()).checkpointFiles(id);
}

export interface ShippedInfo {
  card: JudgeCard;
  run: RunConfig; // the settings of the run the shipped judges came from
  examples: Pair[]; // held-out world pairs of that run, the first few of each category
}

/** The shipped judges' card, their run's settings and the example pairs drawn from its held-out set. */
export function shippedInfo(): Promise<ShippedInfo> {
  return once('info', async () => {
    const card = (await readJson(`${SHIPPED_DIR}/card.json`)) as JudgeCard;
    const saved = (await readJson(`${SHIPPED_DIR}/config.json`)) as RunConfig;
    const run = applyOverrides(RUN_DEFAULTS, diffFromDefaults(saved));
    const examples = subsetOf(heldOutPairs(run), 4 * EXAMPLES_PER_CATEGORY);
    return { card, run, examples };
  }).catch((e: Error) => {
    throw new Error(`Could not load the shipped judge's card: ${e.message}`);
  });
}

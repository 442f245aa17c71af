// Actions of the Judge page: edit the pair, pick it from a stored dataset or from the shipped judge's
// held-out examples, choose the model (a checkpoint or a cached real model, remembered across reloads; a real
// model loaded from this page is chosen once it is in the cache) and decoding, have the worker check the pair
// against the model's vocabulary and context as it is typed (debounced; the page never tokenizes, so a 5 MB
// pair cannot freeze typing), judge it in the worker (traces stream in as 'judge-trace' events and are
// counted for tokens/s), stop it (the traces so far stay), and save the user's own label into 'my-labels'.
// Leaves out the judging itself (train/judge.ts, in the worker) and drawing (ui/pages/JudgePage.tsx).
import type { CheckpointFiles } from '../engine/checkpoint';
import type { Pair } from '../rm/pair';
import type { PairText } from '../train/judge';
import type { DatasetMeta } from '../train/lab_store';
import { getEngine } from '../worker/client';
import { cachedModelJudgeId, cacheIdOf, type JudgeDecoding, type JudgeEvent } from '../worker/judge_protocol';
import type { CachedModel } from '../worker/models_protocol';
import { checkpointFiles, isBuiltin, SHIPPED_JUDGE, shippedInfo } from './builtin_judges';
import { judgeIdAvailable } from './judge_model';
import type { UserLabel } from './judge_slice';
import { countTokens, startMeter } from './judge_speed';
import { labStore } from './lab';
import { refreshLibrary, reportStorageError } from './library_actions';
import { loadChoice, saveChoice } from './saved_choice';
import { useAppStore, type AppState } from './store';

export const MY_LABELS = 'my-labels';
/** Where a draft picked from the shipped judge's examples came from (shown with its label once judged). */
export const EXAMPLES_SOURCE = 'builtin:held-out-examples';
const OWN_CHECKPOINT =
  'Judge with a checkpoint of your own instead: train one on the Train page, or import one on the Runs & ' +
  'checkpoints page.';
const CHOICE = 'judge-checkpoint';

const set = useAppStore.setState;
const get = useAppStore.getState;

/** Edits wait this long for the next keystroke before the worker checks the pair. */
export const CHECK_DELAY_MS = 200;

/** The judging checkpoint's files, read once (sent to the worker for checks and judging); null for a cached real
 * model, which the worker reads from its cache itself. */
let held: { id: string; files: CheckpointFiles | null } | null = null;
/** Checks sent so far: a reply for an older one than the newest is dropped. */
let checkSeq = 0;
/** The checkpoint whose tokenizer files the worker was last sent (it keeps a few). */
let vocabSent: string | null = null;
let checkTimer: ReturnType<typeof setTimeout> | null = null;
let latestCheck: Promise<void> = Promise.resolve();
/** The pairs of the dataset being browsed; only its count and position are state. */
let browsed: { datasetId: string; pairs: Pair[] } | null = null;
let requests = 0;
let saving: Promise<void> = Promise.resolve();

/** The model the page judges with: the chosen one while it exists (a checkpoint, or a real model complete in
 * the cache), else the newest stored checkpoint, else the shipped judge (a first visit). */
export function judgeCheckpoint(s: AppState): string {
  const chosen = s.judgeCheckpointId;
  if (chosen && judgeIdAvailable(chosen, s.checkpoints, s.cachedModels)) return chosen;
  return s.checkpoints[0]?.id ?? SHIPPED_JUDGE;
}

/** A checkpoint's files without its weights: what the worker reads a tokenizer and context from. */
const vocabFiles = (files: CheckpointFiles): CheckpointFiles =>
  Object.fromEntries(Object.entries(files).filter(([name]) => !name.endsWith('.safetensors')));

/** Has the worker check the draft as it is now (check `seq`); the reply lands only if no edit came since. */
async function sendCheck(seq: number): Promise<void> {
  const s = get();
  const id = judgeCheckpoint(s);
  if (held?.id !== id) return set({ judgeChecking: false }); // checked again once its files are read
  const req = { seq, checkpointId: id, pair: s.judgeDraft };
  try {
    const engine = getEngine();
    const files = held.files && vocabFiles(held.files);
    let reply = await engine.checkInput(vocabSent === id || !files ? req : { ...req, files });
    if (reply === 'send-files' && files) reply = await engine.checkInput({ ...req, files });
    if (reply === 'send-files') throw new Error('the worker could not read its tokenizer');
    vocabSent = id;
    if (seq !== checkSeq || typeof reply === 'string') return; // an older text's (or skipped for a newer one)
    set({ judgeCheck: reply, judgeChecking: false });
  } catch (e) {
    if (seq === checkSeq)
      set({ judgeCheck: null, judgeChecking: false, judgeError: `Could not read checkpoint ${id}: ${errorText(e)}` });
  }
}

/** Checks the draft after `delay` ms without another edit (typing) or at once (a pick, another checkpoint). */
function scheduleCheck(delay = CHECK_DELAY_MS): void {
  const seq = ++checkSeq;
  if (!get().judgeChecking) set({ judgeChecking: true });
  if (checkTimer) clearTimeout(checkTimer);
  checkTimer = setTimeout(() => {
    checkTimer = null;
    latestCheck = sendCheck(seq);
  }, delay);
}

/** Sends a check still waiting for the end of typing now; settles when the newest check has. */
export function flushInputCheck(): Promise<void> {
  if (checkTimer) {
    clearTimeout(checkTimer);
    checkTimer = null;
    latestCheck = sendCheck(checkSeq);
  }
  return latestCheck;
}

const errorText = (e: unknown) => (e as Error).message ?? String(e);

/** Reads the judging checkpoint's files (when it changed) and checks the draft again. */
export async function syncJudgeCheckpoint(): Promise<void> {
  const id = judgeCheckpoint(get());
  if (held?.id !== id && cacheIdOf(id) !== null) {
    held = { id, files: null }; // the worker opens it from the model cache
    set({ judgeCheck: null });
  } else if (held?.id !== id && get().judgeLoading !== id) {
    set({ judgeLoading: id, judgeCheck: null });
    try {
      const files = await checkpointFiles(id);
      if (!files) throw new Error(`checkpoint ${id} is no longer in storage`);
      if (judgeCheckpoint(get()) === id) held = { id, files }; // unless another was chosen meanwhile
    } catch (e) {
      const msg = errorText(e);
      set({ judgeError: isBuiltin(id) ? `${msg}. ${OWN_CHECKPOINT}` : `Could not read checkpoint ${id}: ${msg}` });
    } finally {
      if (get().judgeLoading === id) set({ judgeLoading: null });
    }
  }
  scheduleCheck(0);
}

/** The checkpoint chosen on an earlier visit, unless one is chosen already. */
export function restoreJudgeChoice(): void {
  const saved = loadChoice(CHOICE);
  if (saved && get().judgeCheckpointId === null) set({ judgeCheckpointId: saved });
}

/** Reads the shipped judges' card and example pairs (once); a failure is shown, the page works without them. */
export async function loadShipped(): Promise<void> {
  if (get().shipped) return;
  try {
    set({ shipped: await shippedInfo(), shippedError: null });
  } catch (e) {
    set({ shippedError: (e as Error).message });
  }
}

export function setJudgeField(field: keyof PairText, value: string): void {
  set((s) => ({ judgeDraft: { ...s.judgeDraft, [field]: value }, judgePicked: null, labelMessage: null }));
  scheduleCheck();
}

export function chooseJudgeCheckpoint(id: string | null): void {
  set({ judgeCheckpointId: id, judgeError: null });
  saveChoice(CHOICE, id);
  void syncJudgeCheckpoint();
}

export const setJudgeDecoding = (d: Partial<JudgeDecoding>) =>
  set((s) => ({ judgeDecoding: { ...s.judgeDecoding, ...d } }));

/** Loads a real model into the cache from the Judge page (models_actions.ts's loaders) and judges with it. */
export async function loadJudgeModel(load: () => Promise<CachedModel | null>): Promise<void> {
  const m = await load();
  if (m) chooseJudgeCheckpoint(cachedModelJudgeId(m.id));
}

/** Opens a stored dataset to pick pairs from (null closes it); loads its first pair. */
export async function browseDataset(datasetId: string | null): Promise<void> {
  browsed = null;
  set({ judgeBrowse: { datasetId, count: 0, index: 0 } });
  if (!datasetId) return;
  const pairs = await (await labStore()).datasetPairs(datasetId);
  if (!pairs) return set({ judgeError: `Dataset ${datasetId} is no longer in storage` });
  browsed = { datasetId, pairs };
  set({ judgeBrowse: { datasetId, count: pairs.length, index: 0 } });
  if (pairs.length) pickPair(0);
}

/** Puts the shipped judge's example pair `index` (a held-out world pair) into the draft. */
export function pickExample(index: number): void {
  const p = get().shipped?.examples[index];
  if (!p) return;
  set({
    judgeDraft: { prompt: p.prompt, a: p.a, b: p.b },
    labelMessage: null,
    judgePicked: {
      datasetId: EXAMPLES_SOURCE,
      pairId: p.id,
      index,
      winner: p.winner,
      ...(p.category ? { category: p.category } : {}),
    },
  });
  scheduleCheck(0);
}

/** Puts the browsed dataset's pair `index` into the draft. */
export function pickPair(index: number): void {
  if (!browsed || browsed.pairs.length === 0) return;
  const i = Math.max(0, Math.min(browsed.pairs.length - 1, Math.trunc(index) || 0));
  const p = browsed.pairs[i];
  set((s) => ({
    judgeDraft: { prompt: p.prompt, a: p.a, b: p.b },
    labelMessage: null,
    judgePicked: {
      datasetId: browsed!.datasetId,
      pairId: p.id,
      index: i,
      winner: p.winner,
      ...(p.category ? { category: p.category } : {}),
    },
    judgeBrowse: { ...s.judgeBrowse, index: i },
  }));
  scheduleCheck(0);
}

async function filesFor(id: string): Promise<CheckpointFiles> {
  if (held?.id === id && held.files) return held.files;
  const files = await checkpointFiles(id);
  if (!files) throw new Error(`checkpoint ${id} is no longer in storage`);
  return files;
}

/** Judges the draft in both orders with the chosen decoding; the traces stream into `judgeStream`. */
export async function runJudge(): Promise<void> {
  if (get().judgeRequestId) return;
  const requestId = `judge-${++requests}`;
  set({ judgeRequestId: requestId, judgeError: null, judgeStopped: false, judgeSpeed: startMeter() });
  try {
    await flushInputCheck(); // a click right after typing: the check of the text as it is now decides
    const s = get();
    const checkpointId = judgeCheckpoint(s);
    const pair = { ...s.judgeDraft };
    const refuse =
      !pair.prompt.trim() || !pair.a.trim() || !pair.b.trim()
        ? 'Fill in the question and both responses, or pick an example or a pair from a dataset.'
        : (s.judgeCheck?.tooLong ?? null);
    if (refuse) return set({ judgeError: refuse });
    const n = s.judgeDecoding.samples;
    set({
      judgeResult: null,
      labelMessage: null,
      judgeStream: { shown: Array(n).fill(''), swapped: Array(n).fill('') },
    });
    const engine = getEngine();
    const files =
      cacheIdOf(checkpointId) !== null || (await engine.hasCheckpoint(checkpointId))
        ? undefined
        : await filesFor(checkpointId);
    const result = await engine.judge({
      requestId,
      checkpointId,
      files,
      pair,
      decoding: { ...s.judgeDecoding, layout: 'compact' },
    });
    set({
      judgeResult: { ...result, checkpointId, pair },
      judgeStream: { shown: result.shown.map((j) => j.trace), swapped: result.swapped.map((j) => j.trace) },
    });
  } catch (e) {
    const msg = errorText(e);
    // stopped: the traces so far stay on the page
    set(msg === 'cancelled' ? { judgeStopped: true } : { judgeError: `Judging failed: ${msg}` });
  } finally {
    set({ judgeRequestId: null });
  }
}

/** Stops the judgement running at its next readback; the traces written so far stay. */
export function stopJudge(): void {
  const id = get().judgeRequestId;
  if (id) void getEngine().cancelJudge(id);
}

/** A streamed trace from the worker: the text so far of one sample of one order, and its token count. */
export function applyJudgeEvent(e: JudgeEvent, at = performance.now()): void {
  if (e.requestId !== get().judgeRequestId) return; // a cancelled or older request
  set((s) => {
    const list = [...s.judgeStream[e.order]];
    list[e.sample] = e.text;
    return {
      judgeStream: { ...s.judgeStream, [e.order]: list },
      judgeSpeed: countTokens(s.judgeSpeed, `${e.order}:${e.sample}`, e.tokens, at),
    };
  });
}

/** FNV-1a over the three texts: labelling the same pair again replaces the earlier label. */
function pairKey(p: PairText): string {
  let h = 0x811c9dc5;
  for (const ch of `${p.prompt}\u0000${p.a}\u0000${p.b}`) h = Math.imul(h ^ ch.codePointAt(0)!, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

const sameText = (x: PairText, y: PairText) => x.prompt === y.prompt && x.a === y.a && x.b === y.b;

/** The label as a Pair of 'my-labels', with the model's verdict on this very text when it was judged. */
function labelPair(s: AppState, label: UserLabel): Pair {
  const d = s.judgeDraft,
    r = s.judgeResult && sameText(s.judgeResult.pair, d) ? s.judgeResult : null;
  const model = r && {
    checkpointId: r.checkpointId,
    verdict: r.verdict,
    voteShare: r.voteShare,
    samples: r.samples,
    swappedVerdict: r.swappedVerdict,
    positionConsistent: r.positionConsistent,
  };
  // a judgement of the shown order that reached the user's verdict and ended: a trace to distil on, as RM-R1
  // keeps the oracle's traces whose verdict is right (pipeline.ts's tracedExamples reads meta.trace)
  const right = r?.shown.find((j) => j.verdict === label && j.stopReason === 'eos');
  const from = s.judgePicked && {
    datasetId: s.judgePicked.datasetId,
    pairId: s.judgePicked.pairId,
    winner: s.judgePicked.winner,
  };
  return {
    id: `${MY_LABELS}:${pairKey(d)}`,
    prompt: d.prompt,
    a: d.a,
    b: d.b,
    winner: label === 'both-bad' ? 'tie' : label,
    ...(s.judgePicked?.category ? { category: s.judgePicked.category } : {}),
    source: MY_LABELS,
    meta: { label, model, from, labelledAt: Date.now(), ...(right ? { trace: right.trace } : {}) },
  };
}

async function writeLabels(update: (pairs: Pair[]) => Pair[], message: string): Promise<void> {
  const store = await labStore();
  const pairs = update((await store.datasetPairs(MY_LABELS)) ?? []);
  const old = (await store.listDatasets()).find((d) => d.id === MY_LABELS);
  const now = Date.now();
  const meta: DatasetMeta = {
    id: MY_LABELS,
    name: 'My labels',
    source: 'labels',
    format: null,
    createdAt: old?.createdAt ?? now,
    updatedAt: now,
    count: pairs.length,
  };
  await store.putDataset(meta, pairs);
  set({ myLabels: pairs, labelMessage: message });
  await refreshLibrary();
}

/** Saves the user's label for the draft (one at a time, so quick clicks cannot lose one). */
export function saveLabel(label: UserLabel): Promise<void> {
  const s = get();
  const d = s.judgeDraft;
  if (!d.prompt.trim() || !d.a.trim() || !d.b.trim())
    return Promise.resolve(set({ labelMessage: 'Fill in the question and both responses before labelling.' }));
  const entry = labelPair(s, label);
  saving = saving.then(() =>
    writeLabels(
      (pairs) => [...pairs.filter((p) => p.id !== entry.id), entry],
      `Saved your label (${label === 'both-bad' ? 'both bad' : label}) to the dataset "My labels".`,
    ).catch(reportStorageError),
  );
  return saving;
}

export function deleteLabel(id: string): Promise<void> {
  saving = saving.then(() =>
    writeLabels((pairs) => pairs.filter((p) => p.id !== id), 'Label deleted.').catch(reportStorageError),
  );
  return saving;
}

/** Reads the saved labels (on opening the page: they survive a reload in IndexedDB). */
export async function loadMyLabels(): Promise<void> {
  set({ myLabels: (await (await labStore()).datasetPairs(MY_LABELS)) ?? [] });
}

/** Puts a saved label's pair back into the draft. */
export function openLabel(p: Pair): void {
  set({ judgeDraft: { prompt: p.prompt, a: p.a, b: p.b }, judgePicked: null, labelMessage: null });
  scheduleCheck(0);
}

// Actions of the Judge page: edit or pick the pair, choose the checkpoint and decoding, check the pair
// against the checkpoint's vocabulary and context as it is typed, judge it in the worker (traces stream
// in as 'judge-trace' events), cancel, and save the user's own label into the 'my-labels' dataset.
// Leaves out the judging itself (train/judge.ts, in the worker) and drawing (ui/pages/JudgePage.tsx).
import type { CheckpointFiles } from '../engine/checkpoint';
import { validateConfig } from '../engine/config';
import { Tokenizer } from '../engine/tokenizer';
import type { Pair } from '../rm/pair';
import { checkJudgeInput, JUDGE_DEFAULTS, type PairText } from '../train/judge';
import type { DatasetMeta } from '../train/lab_store';
import { getEngine } from '../worker/client';
import type { JudgeDecoding, JudgeEvent } from '../worker/judge_protocol';
import type { UserLabel } from './judge_slice';
import { labStore } from './lab';
import { refreshLibrary, reportStorageError } from './library_actions';
import { useAppStore, type AppState } from './store';

export const MY_LABELS = 'my-labels';
export const NO_CHECKPOINT =
  'No checkpoint yet: train one on the Train page (it saves checkpoints as it goes), or import one on the Runs & ' +
  'checkpoints page.';

const set = useAppStore.setState;
const get = useAppStore.getState;

/** The checkpoint read for input checks (and sent to the worker): its files, tokenizer and context. */
let vocab: { id: string; files: CheckpointFiles; tok: Tokenizer; context: number } | null = null;
/** The pairs of the dataset being browsed; only its count and position are state. */
let browsed: { datasetId: string; pairs: Pair[] } | null = null;
let requests = 0;
let saving: Promise<void> = Promise.resolve();

/** The checkpoint the page judges with: the chosen one while it is stored, else the newest. */
export function judgeCheckpoint(s: AppState): string | null {
  const chosen = s.judgeCheckpointId;
  return chosen && s.checkpoints.some((c) => c.id === chosen) ? chosen : (s.checkpoints[0]?.id ?? null);
}

function recheck(): void {
  const s = get();
  const fits = vocab && vocab.id === judgeCheckpoint(s);
  set({ judgeCheck: fits ? checkJudgeInput(vocab!.tok, vocab!.context, s.judgeDraft, JUDGE_DEFAULTS) : null });
}

const readJson = (files: CheckpointFiles, name: string): unknown => JSON.parse(new TextDecoder().decode(files[name]));

/** Reads the judging checkpoint's tokenizer and context (when it changed) and checks the draft again. */
export async function syncJudgeCheckpoint(): Promise<void> {
  const id = judgeCheckpoint(get());
  if (id !== null && vocab?.id !== id) {
    try {
      const files = await (await labStore()).checkpointFiles(id);
      if (!files) throw new Error(`checkpoint ${id} is no longer in storage`);
      const tok = Tokenizer.fromHFJson(readJson(files, 'tokenizer.json'));
      const context = validateConfig(readJson(files, 'config.json')).max_position_embeddings;
      if (judgeCheckpoint(get()) === id) vocab = { id, files, tok, context }; // unless another was chosen meanwhile
    } catch (e) {
      set({ judgeError: `Could not read checkpoint ${id}: ${(e as Error).message}` });
    }
  }
  recheck();
}

export function setJudgeField(field: keyof PairText, value: string): void {
  set((s) => ({ judgeDraft: { ...s.judgeDraft, [field]: value }, judgePicked: null, labelMessage: null }));
  recheck();
}

export function chooseJudgeCheckpoint(id: string | null): void {
  set({ judgeCheckpointId: id, judgeError: null });
  void syncJudgeCheckpoint();
}

export const setJudgeDecoding = (d: Partial<JudgeDecoding>) =>
  set((s) => ({ judgeDecoding: { ...s.judgeDecoding, ...d } }));

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
  recheck();
}

async function filesFor(id: string): Promise<CheckpointFiles> {
  if (vocab?.id === id) return vocab.files;
  const files = await (await labStore()).checkpointFiles(id);
  if (!files) throw new Error(`checkpoint ${id} is no longer in storage`);
  return files;
}

/** Judges the draft in both orders with the chosen decoding; the traces stream into `judgeStream`. */
export async function runJudge(): Promise<void> {
  const s = get();
  if (s.judgeRequestId) return;
  const checkpointId = judgeCheckpoint(s);
  const pair = { ...s.judgeDraft };
  const refuse = !checkpointId
    ? NO_CHECKPOINT
    : !pair.prompt.trim() || !pair.a.trim() || !pair.b.trim()
      ? 'Fill in the question and both responses, or pick a pair from a dataset.'
      : (s.judgeCheck?.tooLong ?? null);
  if (refuse) return set({ judgeError: refuse });
  const requestId = `judge-${++requests}`;
  const n = s.judgeDecoding.samples;
  set({
    judgeRequestId: requestId,
    judgeError: null,
    judgeResult: null,
    labelMessage: null,
    judgeStream: { shown: Array(n).fill(''), swapped: Array(n).fill('') },
  });
  try {
    const engine = getEngine();
    const files = (await engine.hasCheckpoint(checkpointId!)) ? undefined : await filesFor(checkpointId!);
    const result = await engine.judge({
      requestId,
      checkpointId: checkpointId!,
      files,
      pair,
      decoding: { ...s.judgeDecoding, layout: 'compact' },
    });
    set({
      judgeResult: { ...result, checkpointId: checkpointId!, pair },
      judgeStream: { shown: result.shown.map((j) => j.trace), swapped: result.swapped.map((j) => j.trace) },
    });
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    set({ judgeError: msg === 'cancelled' ? 'Judging cancelled.' : `Judging failed: ${msg}` });
  } finally {
    set({ judgeRequestId: null });
  }
}

export function cancelJudge(): void {
  const id = get().judgeRequestId;
  if (id) void getEngine().cancelJudge(id);
}

/** A streamed trace from the worker: the text so far of one sample of one order. */
export function applyJudgeEvent(e: JudgeEvent): void {
  if (e.requestId !== get().judgeRequestId) return; // a cancelled or older request
  set((s) => {
    const list = [...s.judgeStream[e.order]];
    list[e.sample] = e.text;
    return { judgeStream: { ...s.judgeStream, [e.order]: list } };
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
    meta: { label, model, from, labelledAt: Date.now() },
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
  recheck();
}

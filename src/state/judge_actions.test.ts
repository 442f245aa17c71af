// The Judge page's actions against the real judge host (WASM) standing in for the worker, and the
// in-memory LabStore (Node has no IndexedDB). Must hold: a first visit (nothing stored) judges with the
// shipped judge, read from public/: its held-out examples fill the draft and keep their label, and it
// judges one; when the shipped files cannot be read the error says so and how to get another checkpoint,
// and the page goes on (typing, the draft check after choosing a stored one); a chosen checkpoint is
// remembered across a reload; the draft is checked against the checkpoint's vocabulary and context as it
// is typed, and a pair too long is refused before any request; issue 15.6: those checks run in the worker
// (the page never calls a tokenizer), once per pause in typing, and a reply for an older text is dropped;
// a judgement streams into the store (text grows, ends equal to the result's traces) and sends the
// checkpoint's files only the first time; stopping keeps the traces written so far and says it stopped; a
// label is saved into 'my-labels' (both bad = tie + meta.label, the model's verdict kept), labelling the
// same pair again replaces it, and the saved labels read back; a label keeps the trace of a judgement that
// agrees with it and ended, for distillation; pairs are picked from a stored dataset. A real
// model of the model cache: chosen by its judge id, only while complete in the cache, remembered across a
// reload (judged with once the cache is listed); checked and judged with no files sent (the worker reads the
// cache), through its chat template; its tokens counted for tokens/s; a model loaded from the Judge page is
// chosen, a failed load changes nothing.
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeCheckpoint, paramsToCheckpoint } from '../engine/checkpoint';
import { presetConfig } from '../engine/config';
import { HFTokenizer } from '../engine/hf/tokenizer';
import { initParams } from '../engine/model';
import { switchTestBackend } from '../engine/test_backends';
import { defaultTokenizer, Tokenizer } from '../engine/tokenizer';
import { tracedExamples } from '../train/pipeline';
import { checkpointMeta } from '../train/run_recorder';
import { blobSource } from '../engine/hf/source';
import { testModelFiles } from '../engine/hf/test_model_files';
import { createJudgeHost } from '../worker/judge_host';
import {
  cachedModelJudgeId,
  type InputCheckReply,
  type InputCheckRequest,
  type JudgeRequest,
} from '../worker/judge_protocol';
import type { CachedModel } from '../worker/models_protocol';
import { tokensWritten } from './judge_speed';

// The judge host stands in for the worker; every call into it runs in `host.worker`'s context, so a
// tokenizer call outside one is the page tokenizing.
const host = vi.hoisted(() => ({
  current: null as null | ReturnType<typeof import('../worker/judge_host').createJudgeHost>,
  worker: null as null | AsyncLocalStorage<true>,
  requests: [] as JudgeRequest[],
  checks: [] as { req: InputCheckRequest; reply?: InputCheckReply }[],
  holdReplies: null as Promise<void> | null, // a check's reply waits for this (a slow message)
}));
vi.mock('../worker/client', () => {
  const inWorker =
    <A, R>(call: (arg: A) => Promise<R>) =>
    (arg: A) =>
      host.worker!.run(true, () => call(arg));
  return {
    getEngine: () => ({
      hasCheckpoint: inWorker((id: string) => host.current!.hasCheckpoint(id)),
      judge: inWorker((req: JudgeRequest) => {
        host.requests.push(req);
        return host.current!.judge(req);
      }),
      cancelJudge: (id: string) => host.current!.cancelJudge(id),
      checkInput: inWorker(async (req: InputCheckRequest) => {
        const entry: (typeof host.checks)[number] = { req };
        host.checks.push(entry);
        entry.reply = await host.current!.checkInput(req);
        if (host.holdReplies) await host.holdReplies;
        return entry.reply;
      }),
    }),
  };
});
host.worker = new AsyncLocalStorage<true>();

/** The start of every text a tokenizer encoded outside a worker call (the page must never tokenize). */
const pageEncodes: string[] = [];
for (const proto of [Tokenizer.prototype, HFTokenizer.prototype]) {
  const encode = proto.encode;
  vi.spyOn(proto, 'encode').mockImplementation(function (this: Tokenizer & HFTokenizer, ...args) {
    if (!host.worker!.getStore()) pageEncodes.push(args[0].slice(0, 40));
    return encode.apply(this, args);
  });
}

// localStorage as the browser has it (Node 20 has none): the chosen checkpoint survives a "reload"
const saved = new Map<string, string>();
vi.stubGlobal('localStorage', {
  getItem: (k: string) => saved.get(k) ?? null,
  setItem: (k: string, v: string) => saved.set(k, v),
  removeItem: (k: string) => saved.delete(k),
});

const {
  applyJudgeEvent,
  browseDataset,
  chooseJudgeCheckpoint,
  CHECK_DELAY_MS,
  EXAMPLES_SOURCE,
  flushInputCheck,
  judgeCheckpoint,
  loadJudgeModel,
  loadMyLabels,
  loadShipped,
  MY_LABELS,
  pickExample,
  pickPair,
  restoreJudgeChoice,
  runJudge,
  saveLabel,
  setJudgeDecoding,
  setJudgeField,
  stopJudge,
  syncJudgeCheckpoint,
} = await import('./judge_actions');
const { labStore } = await import('./lab');
const { EXAMPLES_PER_CATEGORY, SHIPPED_JUDGE, setStaticReader } = await import('./builtin_judges');
const { refreshLibrary } = await import('./library_actions');
const { resetStore, useAppStore } = await import('./store');

const get = useAppStore.getState;
const tok = defaultTokenizer();
const cfg = presetConfig('nano', {
  vocab_size: tok.vocabSize,
  bos_token_id: tok.bosId,
  eos_token_id: tok.eosId,
  pad_token_id: tok.padId,
});

function fill(prompt: string, a: string, b: string) {
  setJudgeField('prompt', prompt);
  setJudgeField('a', a);
  setJudgeField('b', b);
}

describe('judge actions (nano, WASM, memory store)', () => {
  beforeAll(async () => {
    await switchTestBackend('wasm');
    host.current = createJudgeHost((e) => {
      if (e.kind === 'judge-trace') applyJudgeEvent(e);
    });
  });

  it('when the shipped files cannot be read, says so and how to get another; typing still works', async () => {
    resetStore();
    setStaticReader((path) => Promise.reject(new Error(`${path}: HTTP 404`)));
    await syncJudgeCheckpoint();
    expect(get().judgeError).toMatch(
      /Could not load the shipped tiny judge.*judges\/tiny\/judge\/config.json: HTTP 404.*train one on the Train page/,
    );
    await loadShipped();
    expect(get().shippedError).toMatch(/Could not load the shipped judge's card: judges\/tiny\/card.json: HTTP 404/);
    fill('Q', 'x', 'y');
    expect(get().judgeDraft).toEqual({ prompt: 'Q', a: 'x', b: 'y' });
    const before = host.requests.length;
    await runJudge();
    expect(get().judgeError).toMatch(/Judging failed: Could not load the shipped tiny judge/);
    expect(host.requests).toHaveLength(before); // nothing reached the worker
  });

  it('a first visit judges with the shipped judge: examples, their label, a verdict', async () => {
    resetStore();
    setStaticReader((path) => readFile(join('public', path)).then((b) => new Uint8Array(b)));
    expect(judgeCheckpoint(get())).toBe(SHIPPED_JUDGE);
    await syncJudgeCheckpoint();
    expect(get().judgeError).toBeNull();
    await loadShipped();
    const { examples, card } = get().shipped!;
    expect(card.checkpoints.map((c) => c.dir)).toEqual(['distilled', 'judge']);
    expect(examples).toHaveLength(4 * EXAMPLES_PER_CATEGORY);
    expect(new Set(examples.map((p) => p.category))).toEqual(new Set(['chat', 'chat-hard', 'safety', 'reasoning']));
    pickExample(2);
    await flushInputCheck();
    const p = examples[2];
    expect(get().judgeDraft).toEqual({ prompt: p.prompt, a: p.a, b: p.b });
    expect(get().judgePicked).toMatchObject({ datasetId: EXAMPLES_SOURCE, index: 2, winner: p.winner });
    expect(get().judgeCheck?.tooLong).toBeNull(); // the shipped tokenizer and context were read
    expect(get().judgeCheck?.unknown).toEqual([]); // a world pair is all in its vocabulary
    await runJudge();
    expect(get().judgeError).toBeNull();
    expect(host.requests.at(-1)).toMatchObject({ checkpointId: SHIPPED_JUDGE });
    expect(host.requests.at(-1)!.files!['model.safetensors'].byteLength).toBeGreaterThan(0);
    expect(get().judgeResult?.shown[0].trace.length).toBeGreaterThan(0);
  });

  it('checks the draft as typed, streams a judgement, sends the files once, and can cancel', async () => {
    const files = encodeCheckpoint(await paramsToCheckpoint(initParams(cfg, 3), cfg, tok));
    await (await labStore()).putCheckpoint(
      checkpointMeta(files, {
        id: 'ck1',
        name: 'nano',
        runId: null,
        source: 'import',
        createdAt: 1,
        step: null,
        phase: null,
      }),
      files,
    );
    await refreshLibrary();
    await syncJudgeCheckpoint();
    const before = host.requests.length;
    fill('café ☕', 'ok', 'fine');
    await flushInputCheck();
    expect(get().judgeCheck?.unknown.map((u) => `${u.field}:${u.char}@${u.index}`)).toEqual([
      'prompt:é@3',
      'prompt:☕@5',
    ]);

    setJudgeField('a', 'x'.repeat(400));
    await flushInputCheck();
    expect(get().judgeCheck?.tooLong).toMatch(/the model reads 256/);
    await runJudge();
    expect(get().judgeError).toBe(get().judgeCheck?.tooLong);
    expect(host.requests).toHaveLength(before); // refused before the worker

    fill('Say hi', 'HI', 'hi');
    setJudgeDecoding({ maxNewTokens: 20, samples: 2 });
    const lengths: number[] = [];
    const unsub = useAppStore.subscribe((s) => lengths.push(s.judgeStream.shown[0]?.length ?? 0));
    await runJudge();
    unsub();
    const r = get().judgeResult!;
    expect(get().judgeError).toBeNull();
    expect(r.shown).toHaveLength(2);
    expect(get().judgeStream).toEqual({ shown: r.shown.map((j) => j.trace), swapped: r.swapped.map((j) => j.trace) });
    expect(
      new Set(lengths.filter((n) => n > 0 && n < r.shown[0].trace.length)).size,
      'partial traces were shown',
    ).toBeGreaterThan(0);
    expect(host.requests[before]).toMatchObject({ checkpointId: 'ck1' });
    expect(host.requests[before].files).toBeDefined();
    await runJudge();
    expect(host.requests[before + 1].files).toBeUndefined(); // the worker holds it now
    expect(get().judgeRequestId).toBeNull();

    setJudgeDecoding({ maxNewTokens: 120, samples: 1 });
    let partial = '';
    const unsubStop = useAppStore.subscribe((s) => {
      if (tokensWritten(s.judgeSpeed) > 0 && !partial) {
        // the first trace event of this judgement
        partial = s.judgeStream.shown[0];
        stopJudge();
      }
    });
    await runJudge();
    unsubStop();
    expect(get().judgeStopped).toBe(true);
    expect(get().judgeError).toBeNull();
    expect(get().judgeResult).toBeNull();
    expect(get().judgeStream.shown[0].startsWith(partial)).toBe(true); // the trace written so far stays
    expect(get().judgeRequestId).toBeNull();
  });

  it('issue 15.6: the page never tokenizes; the worker checks once per typing pause; older replies drop', async () => {
    expect(judgeCheckpoint(get())).toBe('ck1');
    const sent = host.checks.length;
    const big = 'the quick brown fox. '.repeat(50_000); // 1 MB
    setJudgeField('prompt', big);
    for (const key of 'abcdefghij') setJudgeField('prompt', get().judgeDraft.prompt + key); // ten keystrokes
    expect(get().judgeDraft.prompt).toBe(`${big}abcdefghij`); // each edit is in the draft at once ...
    expect(get().judgeChecking).toBe(true);
    expect(host.checks).toHaveLength(sent); // ... and none was checked while typing went on
    await vi.waitFor(() => expect(get().judgeChecking).toBe(false), { timeout: 30_000, interval: CHECK_DELAY_MS });
    expect(host.checks.slice(sent).map((c) => c.req.pair.prompt.length)).toEqual([big.length + 10]);
    expect(get().judgeCheck?.tooLong).toMatch(/^Too long for the context \(1050\d{3} tokens, the model reads 256\)/);

    // A slow reply for an older text lands after the reply for the newer one: it is dropped.
    fill('Say hi', 'x'.repeat(400), 'hi');
    let release = () => {};
    host.holdReplies = new Promise((r) => {
      release = r;
    });
    const older = flushInputCheck();
    await new Promise((r) => setTimeout(r, 20)); // the worker has answered it (its reply is held back)
    expect(host.checks.at(-1)?.reply).toMatchObject({ tooLong: expect.stringMatching(/^Too long/) });
    host.holdReplies = null;
    setJudgeField('a', 'HI');
    await flushInputCheck();
    expect(get().judgeCheck?.tooLong).toBeNull();
    release();
    await older;
    expect(get().judgeCheck).toMatchObject({ tooLong: null, unknownCount: 0 }); // still the newer text's
    expect(get().judgeChecking).toBe(false);
    expect(pageEncodes).toEqual([]); // in this test and every one before it
  });

  it('saves labels into my-labels, replacing a relabelled pair, and reads them back', async () => {
    fill('Say hi', 'HI', 'hi');
    setJudgeDecoding({ maxNewTokens: 8, samples: 1 });
    await runJudge();
    const r = get().judgeResult!;
    await saveLabel('both-bad');
    const store = await labStore();
    let pairs = (await store.datasetPairs(MY_LABELS))!;
    expect(pairs).toHaveLength(1);
    expect(pairs[0]).toMatchObject({
      prompt: 'Say hi',
      a: 'HI',
      b: 'hi',
      winner: 'tie',
      source: MY_LABELS,
      meta: { label: 'both-bad', model: { checkpointId: 'ck1', verdict: r.verdict, swappedVerdict: r.swappedVerdict } },
    });
    expect(get().datasets.find((d) => d.id === MY_LABELS)).toMatchObject({ source: 'labels', count: 1 });

    await saveLabel('A'); // the same pair: replaced, not added
    fill('Say bye', 'BYE', 'bye'); // not judged: no model verdict kept
    await saveLabel('B');
    pairs = (await store.datasetPairs(MY_LABELS))!;
    expect(pairs.map((p) => [p.prompt, p.winner, (p.meta as { model: unknown }).model === null])).toEqual([
      ['Say hi', 'A', false],
      ['Say bye', 'B', true],
    ]);
    expect(get().datasets.find((d) => d.id === MY_LABELS)?.count).toBe(2);

    resetStore();
    await loadMyLabels();
    expect(get().myLabels.map((p) => p.winner)).toEqual(['A', 'B']);
  });

  it('remembers the chosen checkpoint across a reload; a chosen one deleted since falls back', async () => {
    resetStore();
    await refreshLibrary();
    expect(judgeCheckpoint(get())).toBe('ck1'); // nothing chosen: the newest stored
    chooseJudgeCheckpoint(SHIPPED_JUDGE);
    resetStore(); // a reload
    await refreshLibrary();
    restoreJudgeChoice();
    expect(judgeCheckpoint(get())).toBe(SHIPPED_JUDGE);
    chooseJudgeCheckpoint('gone');
    resetStore();
    await refreshLibrary();
    restoreJudgeChoice();
    expect(judgeCheckpoint(get())).toBe('ck1');
  });

  it('picks pairs from a stored dataset; editing the draft forgets where it came from', async () => {
    await refreshLibrary();
    await browseDataset(MY_LABELS);
    expect(get().judgeBrowse).toEqual({ datasetId: MY_LABELS, count: 2, index: 0 });
    expect(get().judgeDraft).toEqual({ prompt: 'Say hi', a: 'HI', b: 'hi' });
    pickPair(9); // past the end: the last pair
    expect(get().judgeDraft.prompt).toBe('Say bye');
    expect(get().judgePicked).toMatchObject({ datasetId: MY_LABELS, index: 1, winner: 'B' });
    await saveLabel('tie');
    const saved = (await (await labStore()).datasetPairs(MY_LABELS))!.find((p) => p.prompt === 'Say bye')!;
    expect(saved.meta).toMatchObject({ label: 'tie', from: { datasetId: MY_LABELS, winner: 'B' } });
    setJudgeField('b', 'bye!');
    expect(get().judgePicked).toBeNull();
    await browseDataset('no-such-dataset');
    expect(get().judgeError).toMatch(/no-such-dataset is no longer in storage/);
  });

  it("keeps a judgement's trace with a label it agrees with (one that ended), to distil on", async () => {
    fill('Say hi', 'HI', 'hi');
    setJudgeDecoding({ maxNewTokens: 8, samples: 1 });
    await runJudge();
    const r = get().judgeResult!;
    const j = r.shown[0];
    const judged = (verdict: 'A' | 'B', stopReason: 'eos' | 'length', trace: string) =>
      useAppStore.setState({ judgeResult: { ...r, shown: [{ ...j, verdict, stopReason, trace }] } });
    const saved = async () =>
      (await (await labStore()).datasetPairs(MY_LABELS))!.find((p) => p.prompt === 'Say hi')!.meta as {
        trace?: string;
      };
    judged('A', 'eos', 'the rubric… [[A]]');
    await saveLabel('A');
    expect((await saved()).trace).toBe('the rubric… [[A]]');
    await saveLabel('B'); // the model said A: its trace would teach the wrong verdict
    expect((await saved()).trace).toBeUndefined();
    judged('B', 'length', 'cut off… [[B]]');
    await saveLabel('B'); // cut at the length cap: not a whole judgement
    expect((await saved()).trace).toBeUndefined();
    const traced = tracedExamples((await (await labStore()).datasetPairs(MY_LABELS))!);
    expect(traced.some((e) => e.pair.prompt === 'Say hi')).toBe(false);
    judged('B', 'eos', 'the rubric… [[B]]');
    await saveLabel('B');
    const again = tracedExamples((await (await labStore()).datasetPairs(MY_LABELS))!);
    expect(again.find((e) => e.pair.prompt === 'Say hi')?.trace).toBe('the rubric… [[B]]');
  });

  it('judges with a real model of the cache: chosen, remembered, checked and judged from the cache', async () => {
    const files = testModelFiles();
    const cachedModel = (id: string, missing: string[] = []): CachedModel => ({
      version: 1,
      kind: 'hub',
      repo: `test-org/${id}`,
      revision: 'a'.repeat(40),
      refs: ['main'],
      files: [],
      createdAt: 1,
      id,
      cachedBytes: 1,
      totalBytes: 1,
      missing,
    });
    const tiny = cachedModel('tiny'),
      partial = cachedModel('partial', ['model.safetensors']);
    host.current = createJudgeHost(
      (e) => {
        if (e.kind === 'judge-trace') applyJudgeEvent(e);
      },
      2,
      async (id) => {
        if (id !== 'tiny') throw new Error(`No cached model "${id}"`);
        return blobSource(
          id,
          Object.entries(files).map(([path, b]) => ({ path, blob: new Blob([b as BlobPart]) })),
        );
      },
    );
    resetStore();
    await refreshLibrary();
    useAppStore.setState({ cachedModels: [tiny, partial] });
    chooseJudgeCheckpoint(cachedModelJudgeId('partial'));
    expect(judgeCheckpoint(get())).toBe('ck1'); // partly downloaded: cannot judge
    chooseJudgeCheckpoint(cachedModelJudgeId('tiny'));
    expect(judgeCheckpoint(get())).toBe(cachedModelJudgeId('tiny'));

    resetStore(); // a reload: the choice is back once the cache is listed
    await refreshLibrary();
    restoreJudgeChoice();
    expect(judgeCheckpoint(get())).toBe('ck1');
    useAppStore.setState({ cachedModels: [tiny] });
    expect(judgeCheckpoint(get())).toBe(cachedModelJudgeId('tiny'));

    await syncJudgeCheckpoint();
    const checks = host.checks.length,
      requests = host.requests.length;
    fill('Name a color.', 'Blue.', 'Seven.');
    await flushInputCheck();
    expect(get().judgeCheck?.contextLength).toBe(2048); // the real model's context
    expect(host.checks.slice(checks).every((c) => c.req.files === undefined)).toBe(true);
    setJudgeDecoding({ maxNewTokens: 8, samples: 1 });
    await runJudge();
    expect(get().judgeError).toBeNull();
    const r = get().judgeResult!;
    expect(r.shown[0].promptText).toContain('<|im_start|>user\n[Client Question]\nName a color.');
    expect(host.requests[requests]).toMatchObject({ checkpointId: cachedModelJudgeId('tiny'), files: undefined });
    const written = [...r.shown, ...r.swapped].reduce((n, j) => n + j.generatedIds.length, 0);
    expect(tokensWritten(get().judgeSpeed)).toBe(written);

    chooseJudgeCheckpoint(null);
    await loadJudgeModel(async () => null); // a failed load: the choice stays
    expect(get().judgeCheckpointId).toBeNull();
    await loadJudgeModel(async () => tiny);
    expect(get().judgeCheckpointId).toBe(cachedModelJudgeId('tiny'));
  });
});

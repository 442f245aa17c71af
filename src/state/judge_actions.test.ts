// The Judge page's actions against the real judge host (nano, WASM) standing in for the worker, and the
// in-memory LabStore (Node has no IndexedDB). Must hold: without a checkpoint the error says how to get
// one; the draft is checked against the checkpoint's vocabulary and context as it is typed, and a pair too
// long is refused before any request; a judgement streams into the store (text grows, ends equal to the
// result's traces) and sends the checkpoint's files only the first time; cancelling says so; a label is
// saved into 'my-labels' (both bad = tie + meta.label, the model's verdict kept), labelling the same pair
// again replaces it, and the saved labels read back; pairs are picked from a stored dataset.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeCheckpoint, paramsToCheckpoint } from '../engine/checkpoint';
import { presetConfig } from '../engine/config';
import { initParams } from '../engine/model';
import { switchTestBackend } from '../engine/test_backends';
import { defaultTokenizer } from '../engine/tokenizer';
import { checkpointMeta } from '../train/run_recorder';
import { createJudgeHost } from '../worker/judge_host';
import type { JudgeRequest } from '../worker/judge_protocol';

const host = vi.hoisted(() => ({
  current: null as null | ReturnType<typeof import('../worker/judge_host').createJudgeHost>,
  requests: [] as JudgeRequest[],
}));
vi.mock('../worker/client', () => ({
  getEngine: () => ({
    hasCheckpoint: (id: string) => host.current!.hasCheckpoint(id),
    judge: (req: JudgeRequest) => {
      host.requests.push(req);
      return host.current!.judge(req);
    },
    cancelJudge: (id: string) => host.current!.cancelJudge(id),
  }),
}));

const {
  applyJudgeEvent,
  browseDataset,
  cancelJudge,
  loadMyLabels,
  MY_LABELS,
  pickPair,
  runJudge,
  saveLabel,
  setJudgeDecoding,
  setJudgeField,
  syncJudgeCheckpoint,
} = await import('./judge_actions');
const { labStore } = await import('./lab');
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

  it('says how to get a checkpoint when there is none', async () => {
    resetStore();
    fill('Q', 'x', 'y');
    await runJudge();
    expect(get().judgeError).toMatch(
      /No checkpoint yet: train one on the Train page.*import one on the Runs & checkpoints page/,
    );
    expect(host.requests).toHaveLength(0);
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
    fill('café ☕', 'ok', 'fine');
    expect(get().judgeCheck?.unknown.map((u) => `${u.field}:${u.char}@${u.index}`)).toEqual([
      'prompt:é@3',
      'prompt:☕@5',
    ]);

    setJudgeField('a', 'x'.repeat(400));
    expect(get().judgeCheck?.tooLong).toMatch(/context is 256/);
    await runJudge();
    expect(get().judgeError).toBe(get().judgeCheck?.tooLong);
    expect(host.requests).toHaveLength(0); // refused before the worker

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
    expect(host.requests[0].files).toBeDefined();
    await runJudge();
    expect(host.requests[1].files).toBeUndefined(); // the worker holds it now
    expect(get().judgeRequestId).toBeNull();

    setJudgeDecoding({ maxNewTokens: 120, samples: 1 });
    const unsubCancel = useAppStore.subscribe((s) => {
      if (s.judgeStream.shown[0]) cancelJudge();
    });
    await runJudge();
    unsubCancel();
    expect(get().judgeError).toBe('Judging cancelled.');
    expect(get().judgeRequestId).toBeNull();
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
});

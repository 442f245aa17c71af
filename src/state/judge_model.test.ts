// The Judge page's model list and its line naming the judge. Must hold: only complete cached models are
// offered (a partly downloaded one cannot load) under their judge id; a Hub model is named by the ref it was
// loaded by, a folder by its name; a chosen id is available only while it is a builtin, a stored checkpoint or a
// complete cached model; the line names the model and where it comes from.
import { describe, expect, it } from 'vitest';
import type { CachedModel } from '../worker/models_protocol';
import { SHIPPED_JUDGE } from './builtin_judges';
import { judgeIdAvailable, judgeModelLine, realModelOptions } from './judge_model';

const cached = (over: Partial<CachedModel>): CachedModel => ({
  version: 1,
  kind: 'hub',
  repo: 'test-org/tiny',
  revision: '0123456789abcdef0123456789abcdef01234567',
  refs: ['main'],
  files: [],
  createdAt: 1,
  id: 'hub--test-org--tiny/0123456',
  cachedBytes: 1,
  totalBytes: 1,
  missing: [],
  ...over,
});
const hub = cached({});
const folder = cached({ kind: 'folder', repo: 'folder/tiny-folder', revision: 'local', refs: [], id: 'f1' });
const partial = cached({ repo: 'test-org/big', id: 'p1', missing: ['model.safetensors'] });
const pinned = cached({ repo: 'test-org/pinned', id: 'x1', refs: [] });
const checkpoints = [{ id: 'ck1', name: 'sft', summary: 'nano: 2 layers' }];

describe('judge model list', () => {
  it('offers complete cached models by their judge id and name', () => {
    expect(realModelOptions([hub, folder, partial, pinned])).toEqual([
      { id: 'model:hub--test-org--tiny/0123456', name: 'test-org/tiny@main (Hugging Face Hub)' },
      { id: 'model:f1', name: 'tiny-folder (local folder)' },
      { id: 'model:x1', name: 'test-org/pinned@0123456 (Hugging Face Hub)' },
    ]);
  });

  it('knows which ids can judge now', () => {
    const all = [hub, folder, partial];
    expect(judgeIdAvailable(SHIPPED_JUDGE, [], all)).toBe(true);
    expect(judgeIdAvailable('ck1', checkpoints, all)).toBe(true);
    expect(judgeIdAvailable('ck2', checkpoints, all)).toBe(false);
    expect(judgeIdAvailable('model:f1', [], all)).toBe(true);
    expect(judgeIdAvailable('model:p1', [], all)).toBe(false); // partly downloaded
    expect(judgeIdAvailable('model:f1', [], [])).toBe(false); // not (yet) listed, or deleted
  });

  it('names the judge and where it comes from', () => {
    expect(judgeModelLine('model:f1', [], [folder])).toMatch(
      /^Judging with tiny-folder \(local folder\), a real model read from this browser's model cache, with its own/,
    );
    expect(judgeModelLine(SHIPPED_JUDGE, [], [])).toBe(
      'Judging with shipped tiny judge (distilled, then GRPO), shipped with the app.',
    );
    expect(judgeModelLine('ck1', checkpoints, [])).toBe('Judging with your checkpoint sft (nano: 2 layers).');
  });
});

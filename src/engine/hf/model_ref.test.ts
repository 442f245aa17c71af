// Model ids as typed: owner/name[@revision], hf: on the command line; malformed ids refused with the rule.
import { describe, expect, it } from 'vitest';
import { isCommitSha, normalizeHubUrl, parseHubId, parseModelArg } from './model_ref';

describe('parseHubId', () => {
  it('reads owner/name with an optional revision (main by default)', () => {
    expect(parseHubId('HuggingFaceTB/SmolLM2-135M-Instruct')).toEqual({
      repo: 'HuggingFaceTB/SmolLM2-135M-Instruct',
      revision: 'main',
    });
    expect(parseHubId(' Qwen/Qwen2.5-0.5B-Instruct@v1.0 ')).toEqual({
      repo: 'Qwen/Qwen2.5-0.5B-Instruct',
      revision: 'v1.0',
    });
    expect(parseHubId('hf:a/b@refs/pr/1')).toEqual({ repo: 'a/b', revision: 'refs/pr/1' });
  });

  it.each([
    ['SmolLM2-135M', /no owner/],
    ['a/b/c', /more than one "\/"/],
    ['/name', /the owner is empty/],
    ['owner/', /the name is empty/],
    ['owner/-name', /may hold only letters/],
    ['owner/na me', /may hold only letters/],
    ['owner/na--me', /may not hold '--'/],
    ['owner/name@', /revision after "@" is empty/],
    ['owner/name@a..b', /not a branch, tag or commit/],
    ['owner/name@x y', /not a branch, tag or commit/],
  ])('refuses %s, saying why', (id, why) => {
    expect(() => parseHubId(id)).toThrow(why);
    expect(() => parseHubId(id)).toThrow(/expected owner\/name\[@revision\]/);
  });
});

describe('parseModelArg', () => {
  it('reads hf: as a Hub model and anything else as a folder', () => {
    expect(parseModelArg('hf:a/b@dev')).toEqual({ kind: 'hub', ref: { repo: 'a/b', revision: 'dev' } });
    expect(parseModelArg('runs/x/checkpoints/sft')).toEqual({ kind: 'dir', dir: 'runs/x/checkpoints/sft' });
    expect(() => parseModelArg('hf:nope')).toThrow(/no owner/);
    expect(() => parseModelArg(' ')).toThrow(/--model: empty/);
  });
});

describe('isCommitSha and normalizeHubUrl', () => {
  it('knows a commit sha', () => {
    expect(isCommitSha('a'.repeat(40))).toBe(true);
    expect(isCommitSha('main')).toBe(false);
    expect(isCommitSha('A'.repeat(40))).toBe(false);
  });
  it('keeps a Hub URL without its trailing slash, and refuses what is not http(s)', () => {
    expect(normalizeHubUrl('https://hf-mirror.example/')).toBe('https://hf-mirror.example');
    expect(normalizeHubUrl('')).toBe('https://huggingface.co');
    expect(() => normalizeHubUrl('ftp://x')).toThrow(/must be http/);
    expect(() => normalizeHubUrl('nope')).toThrow(/not a URL/);
    expect(() => normalizeHubUrl('https://user:pw@x')).toThrow(/user name or password/);
  });
});

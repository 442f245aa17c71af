// The CLIs end a failure with one readable line: the WASM backend's own error handler once buried the
// message under its minified source (tens of kilobytes). Every flag is checked by its CLI's table: unknown
// flags and bad values are refused naming the flag, the value and what is allowed, before any work starts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const cli = (script: string, args: string[]) =>
  spawnSync(tsx, [join('scripts', script), ...args], { encoding: 'utf8', timeout: 100_000 });

describe('CLI errors', () => {
  it('train: a world too small fails with one line naming the cause, exit 1; run.json: failed, not "running"', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'rl-cli-')), 'run');
    const args = ['--out', out, '--backend', 'wasm', '--world.maxConstraints', '1', '--world.nDistill', '20000'];
    const r = cli('train.ts', args); // wasm: no backend measurement before the failure
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^error: world: no new chat prompt in \d+ draws/);
    expect(r.stderr.length).toBeLessThan(400);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^world: no new chat prompt in \d+ draws/);
  });
  it('train: fused kernels without WebGPU are refused by name', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'rl-cli-')), 'run');
    const r = cli('train.ts', ['--out', out, '--backend', 'wasm', '--kernels', 'fused']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('error: --kernels fused needs WebGPU; this run is on wasm');
  });
  it('judge: text longer than the context is refused with the sizes, exit 1', () => {
    const r = cli('judge.ts', [
      '--checkpoint',
      join('e2e', 'fixtures', 'nano-judge'),
      '--prompt',
      'word '.repeat(400),
      '--a',
      'x',
      '--b',
      'y',
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^Running on WASM\n/); // the backend, named first
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(
      /^error: Too long for the context \(\d+ tokens, the model reads 256\).*Shorten the question or the responses/,
    );
  });
  it('eval: a checkpoint folder that does not exist is named in the error', () => {
    const r = cli('eval.ts', ['--checkpoint', '/nonexistent/ckpt', '--data', 'synthetic']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: .*\/nonexistent\/ckpt/m);
    expect(r.stderr.length).toBeLessThan(400);
  });
});

const ckpt = join('e2e', 'fixtures', 'nano-judge');
const refused = (script: string, args: string[]) => {
  const r = cli(script, args);
  expect(r.status, r.stdout).toBe(1);
  return r.stderr.trim();
};

describe('CLI flags: ranges, not only types', () => {
  it('train: "--sft.lr -5" is refused naming the setting, the value and the range; no run folder is made', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'rl-cli-')), 'run');
    expect(refused('train.ts', ['--out', out, '--sft.lr', '-5'])).toBe(
      'error: Setting "sft.lr" must be a number from 0 to 1 (got "-5")',
    );
    expect(existsSync(out)).toBe(false);
  });
  it('train: "--backend tpu" is refused instead of falling back to WASM', () => {
    expect(refused('train.ts', ['--backend', 'tpu'])).toBe(
      'error: --backend must be one of auto, wasm, webgpu, cpu (got "tpu")',
    );
  });
  it('eval: "--n abc" is refused instead of judging 0 pairs and exiting 0', () => {
    expect(refused('eval.ts', ['--checkpoint', ckpt, '--data', 'synthetic', '--n', 'abc'])).toBe(
      'error: --n must be a whole number from 1 to 100000 (got "abc")',
    );
  });
  it('diagnose, eval, bench: unknown flags are refused (they were ignored), naming the known ones', () => {
    expect(refused('diagnose.ts', ['--checkpoint', ckpt, '--sample', '2'])).toMatch(
      /^error: Unknown flag --sample; known: --model, --checkpoint, --weights, --device-memory, --samples, /,
    );
    expect(refused('eval.ts', ['--checkpoint', ckpt, '--data', 'synthetic', '--grpo.beta', '1'])).toMatch(
      /^error: Unknown flag --grpo.beta; known: .* and the run settings/,
    );
    expect(refused('bench.ts', ['--preset', 'nano'])).toMatch(
      /^error: Unknown flag --preset; known: --backends, --presets/,
    );
  });
  it('judge: "--max-new-tokens -1" and "--layout weird" are refused with the range and the options', () => {
    const pair = ['--checkpoint', ckpt, '--prompt', 'q', '--a', 'x', '--b', 'y'];
    expect(refused('judge.ts', [...pair, '--max-new-tokens', '-1'])).toBe(
      'error: --max-new-tokens must be a whole number from 1 to 4096 (got "-1")',
    );
    expect(refused('judge.ts', [...pair, '--layout', 'weird'])).toBe(
      'error: --layout must be one of compact, full (got "weird")',
    );
  });
  it('judge: a --file that is not JSON is named in the error', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rl-cli-')), 'pair.json');
    writeFileSync(file, '{"prompt": "q",');
    expect(refused('judge.ts', ['--checkpoint', ckpt, '--file', file])).toMatch(
      new RegExp(`^error: --file ${file}: not valid JSON: `),
    );
  });
  it('judge: with no verdict in either order the swap check says "not possible", not "INCONSISTENT"', () => {
    const r = cli('judge.ts', ['--checkpoint', ckpt, '--prompt', 'q', '--a', 'x', '--b', 'y', '--max-new-tokens', '1']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^verdict: none$/m);
    expect(r.stdout).toMatch(/^swap check \(B\/A\): none -> not possible: no verdict in either order$/m);
  });
  it('--help prints every flag with its range and default, and the run settings a CLI takes', () => {
    const r = cli('eval.ts', ['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run eval -- --model DIR\|hf:owner\/name\[@rev\]/);
    expect(r.stdout).toMatch(/^ {2}--samples .*\[a whole number from 1 to 64; default 1\]$/m);
    expect(r.stdout).toMatch(/^ {2}--checkpoint +The same as --model .*\[a path; optional\]$/m);
    expect(r.stdout).toMatch(/^ {2}--world\.digits .*\[a whole number from 1 to 3; default 1\]$/m);
    expect(r.stdout).not.toMatch(/--grpo\.beta/);
  });
});

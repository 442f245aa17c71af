// The CLIs end a failure with one readable line: the WASM backend's own error handler once buried the
// message under its minified source (tens of kilobytes).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const cli = (script: string, args: string[]) =>
  spawnSync(tsx, [join('scripts', script), ...args], { encoding: 'utf8', timeout: 100_000 });

describe('CLI errors', () => {
  it('train: a world too small for the asked split fails with one line naming the cause, exit 1', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'rl-cli-')), 'run');
    const r = cli('train.ts', ['--out', out, '--world.maxConstraints', '1', '--world.nDistill', '20000']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^error: world: no new chat prompt in \d+ draws/);
    expect(r.stderr.length).toBeLessThan(400);
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
    expect(r.stderr.trim()).toMatch(/^error: The judge prompt is \d+ tokens and this model's context is 256/);
  });
  it('eval: a checkpoint folder that does not exist is named in the error', () => {
    const r = cli('eval.ts', ['--checkpoint', '/nonexistent/ckpt', '--data', 'synthetic']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: .*\/nonexistent\/ckpt/m);
    expect(r.stderr.length).toBeLessThan(400);
  });
});

// The CLIs judge a checkpoint on the held-out pairs of its own run: `npm run eval -- --data synthetic`
// once drew the generator's default world (2 digits, 3 constraints) for a judge trained on the recipe's
// (1 digit, ≤ 2 constraints), so its figures never matched the run's. And `npm run diagnose` end to end.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeSplits } from '../src/rm/world';
import { worldOptions } from '../src/train/pipeline';
import { applyOverrides, RUN_DEFAULTS } from '../src/train/run_config';
import { bool, int, withDefault } from '../src/train/settings';
import { heldOutWorld, parseCli, savedRunConfig, worldSetting } from './cli_util';

function runFolder(config: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'rl-run-'));
  writeFileSync(join(dir, 'config.json'), config);
  const ckpt = join(dir, 'checkpoints', 'sft');
  mkdirSync(ckpt, { recursive: true });
  cpSync(join('e2e', 'fixtures', 'nano-judge'), ckpt, { recursive: true });
  return ckpt;
}

describe('the held-out world of a checkpoint', () => {
  it("is its run's world: the very pairs that run evaluated", () => {
    const run = applyOverrides(RUN_DEFAULTS, {
      seed: '4',
      'world.digits': '3',
      'world.maxConstraints': '3',
      'world.nEval': '40',
    });
    const ckpt = runFolder(JSON.stringify(run));
    const got = heldOutWorld(ckpt, {}, 40);
    expect(got.pairs).toEqual(makeSplits(worldOptions(run)).eval);
    expect(got.from).toMatch(/the run's world \(.*config\.json\): seed 4, 3 digit\(s\), ≤ 3 constraints/);
  });

  it('a checkpoint on its own gets the recipe defaults; --seed and --world.* flags override either', () => {
    const lone = join('e2e', 'fixtures', 'nano-judge');
    expect(heldOutWorld(lone, {}, 20).pairs).toEqual(
      makeSplits({ ...worldOptions(RUN_DEFAULTS), nDistill: 0, nGrpo: 0, nEval: 20 }).eval,
    );
    const flagged = heldOutWorld(lone, { seed: '7', 'world.digits': '2', checkpoint: lone }, 20);
    expect(flagged.pairs).toEqual(
      makeSplits({
        ...worldOptions(applyOverrides(RUN_DEFAULTS, { seed: '7', 'world.digits': '2' })),
        nDistill: 0,
        nGrpo: 0,
        nEval: 20,
      }).eval,
    );
    expect(flagged.from).toMatch(/default world with seed=7, world.digits=2/);
  });

  it('an older config without some settings keeps their defaults; a broken one is named', () => {
    const old = savedRunConfig(runFolder(JSON.stringify({ seed: 3, world: { digits: 2 } })))!;
    expect(old.run).toEqual(applyOverrides(RUN_DEFAULTS, { seed: '3', 'world.digits': '2' }));
    const broken = runFolder('{"seed": 3,');
    expect(() => savedRunConfig(broken)).toThrow(/config\.json: not valid JSON/);
  });
});

describe('npm run diagnose', () => {
  it('prints the table per category and writes G judgements per pair to the JSON', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'rl-diag-')), 'd.json');
    const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
    const r = spawnSync(
      tsx,
      [
        join('scripts', 'diagnose.ts'),
        '--checkpoint',
        join('e2e', 'fixtures', 'nano-judge'),
        '--n',
        '8',
        '--samples',
        '2',
        '--out',
        out,
      ],
      { encoding: 'utf8', timeout: 100_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^all +16 /m);
    expect(r.stdout).toMatch(/^reasoning +\d+ /m);
    const rep = JSON.parse(readFileSync(out, 'utf8'));
    expect(rep.overall.judgements).toBe(16);
    expect(rep.samples).toBe(2);
  });
  it('refuses a sample count that is not a whole number from 1 to 64, naming the range', () => {
    const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
    const r = spawnSync(
      tsx,
      [join('scripts', 'diagnose.ts'), '--checkpoint', join('e2e', 'fixtures', 'nano-judge'), '--samples', '0'],
      { encoding: 'utf8', timeout: 100_000 },
    );
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('error: --samples must be a whole number from 1 to 64 (got "0")');
  });
});

describe('parseCli: each CLI declares its flags in a table and every flag is checked by it', () => {
  const spec = {
    usage: 'x',
    flags: { n: withDefault(int(1, 10, 'How many.'), 3), json: withDefault(bool('As JSON.'), false) },
    runSettings: worldSetting,
  };
  it('parses values by type, a lone boolean as true, defaults for the rest, run settings apart', () => {
    expect(parseCli(['--json', '--world.digits', '2'], spec)).toEqual({
      flags: { n: 3, json: true },
      run: { 'world.digits': '2' },
    });
    expect(parseCli(['--n', '7'], spec).flags).toEqual({ n: 7, json: false });
  });
  it('unknown flags were ignored: now refused, as are run settings the CLI does not take', () => {
    expect(() => parseCli(['--m', '1'], spec)).toThrow('Unknown flag --m; known: --n, --json and the run settings');
    expect(() => parseCli(['--grpo.beta', '1'], spec)).toThrow(/Unknown flag --grpo.beta/);
  });
  it('bad values name the flag, the value and the range; a missing value or a repeat is refused', () => {
    expect(() => parseCli(['--n', 'abc'], spec)).toThrow('--n must be a whole number from 1 to 10 (got "abc")');
    expect(() => parseCli(['--n', '-1'], spec)).toThrow('(got "-1")');
    expect(() => parseCli(['--world.digits', '9'], spec)).toThrow(/"world.digits" must be a whole number from 1 to 3/);
    expect(() => parseCli(['--n'], spec)).toThrow('--n needs a value: a whole number from 1 to 10');
    expect(() => parseCli(['--n', '1', '--n', '2'], spec)).toThrow('--n is given twice');
  });
});

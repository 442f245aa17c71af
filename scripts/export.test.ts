// `npm run export`: writes the run folder's export for TRL or verl (every file, the launcher executable),
// and refuses what it must refuse before writing anything: a folder that is not a run, an --out folder that
// is not empty (nothing is overwritten), an unknown target, a missing flag.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { presetConfig } from '../src/engine/config';
import { namedTokenizer } from '../src/rm/world_vocab';
import { grpoPool, judgeRoom, poolRecord } from '../src/train/grpo_pool';
import { createFileStore } from '../src/train/lab_store_node';
import { worldSplits } from '../src/train/pipeline';
import { applyOverrides, RUN_DEFAULTS } from '../src/train/run_config';
import { newRunRecord } from '../src/train/run_recorder';

const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const exportCli = (args: string[]) =>
  spawnSync(tsx, [join('scripts', 'export.ts'), ...args], { encoding: 'utf8', timeout: 100_000 });

const root = mkdtempSync(join(tmpdir(), 'rl-export-'));
const runDir = join(root, 'runs', 'run-1');

beforeAll(async () => {
  const config = applyOverrides(RUN_DEFAULTS, { 'world.nDistill': '30', 'world.nGrpo': '12', 'world.nEval': '4' });
  const tok = namedTokenizer(config.tokenizer);
  const ids = { vocab_size: tok.vocabSize, bos_token_id: tok.bosId, eos_token_id: tok.eosId, pad_token_id: tok.padId };
  const context = presetConfig(config.preset, ids).max_position_embeddings;
  const pool = grpoPool(worldSplits(config).grpo, '', tok, context, judgeRoom(config.grpo.maxCompletionLength));
  await createFileStore(join(root, 'runs')).putRun({ ...newRunRecord('run-1', config), grpoPool: poolRecord(pool) });
});

describe('npm run export', () => {
  it('writes every file of the TRL and the verl export; run_grpo.sh is executable', () => {
    for (const [to, first] of [
      ['trl', 'grpo/train.jsonl'],
      ['verl', 'grpo/train.json'],
    ] as const) {
      const out = join(root, `out-${to}`);
      const r = exportCli(['--run', runDir, '--to', to, '--out', out]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`run-1 for ${to}:`);
      const listed = [...r.stdout.matchAll(/^ {2}(\S+) \(\d+ bytes\)$/gm)].map((m) => m[1]);
      for (const f of [first, 'sft/train.jsonl', 'reward.py', 'README.md', 'manifest.json'])
        expect(listed).toContain(f);
      for (const f of listed) expect(statSync(join(out, f)).size).toBeGreaterThan(0);
      expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).rows[first]).toBe(24); // 12 pairs × 2 orders
      if (to === 'verl') expect(statSync(join(out, 'run_grpo.sh')).mode & 0o111).toBe(0o111);
    }
  });

  it('refuses a non-empty --out, a folder that is not a run, an unknown target and a missing flag', () => {
    const full = join(root, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'keep.txt'), 'mine');
    const refused = (args: string[]) => {
      const r = exportCli(args);
      expect(r.status).toBe(1);
      return r.stderr.trim();
    };
    expect(refused(['--run', runDir, '--to', 'trl', '--out', full])).toBe(
      `error: ${full} is not empty: pick a new folder (nothing there is overwritten)`,
    );
    expect(readdirSync(full)).toEqual(['keep.txt']);
    expect(refused(['--run', root, '--to', 'trl', '--out', join(root, 'o1')])).toBe(
      `error: ${root}: no run.json there (is it a run folder?)`,
    );
    expect(refused(['--run', runDir, '--to', 'openrlhf', '--out', join(root, 'o2')])).toMatch(
      /^error: .*--to must be one of trl, verl \(got "openrlhf"\)/,
    );
    expect(refused(['--to', 'trl', '--out', join(root, 'o3')])).toMatch(/--run/);
  });
});

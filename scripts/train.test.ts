// `npm run train -- --resume DIR` (issue 15.4): a run folder left mid-distillation by a process that was killed
// (run.json still says "running"; written by the recorder the CLI uses) goes on in the same folder to done,
// every SFT step logged once; settings given beside --resume are refused, and so is a run that is done.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { switchTestBackend } from '../src/engine/test_backends';
import { createFileStore } from '../src/train/lab_store_node';
import { createPipeline, freshModel, worldData } from '../src/train/pipeline';
import { applyOverrides, RUN_DEFAULTS } from '../src/train/run_config';
import { createRunRecorder, newRunRecord } from '../src/train/run_recorder';

const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const train = (args: string[]) =>
  spawnSync(tsx, [join('scripts', 'train.ts'), ...args], { encoding: 'utf8', timeout: 100_000 });

const run = applyOverrides(RUN_DEFAULTS, {
  preset: 'nano',
  stage: 'sft',
  checkpointEvery: '2',
  'world.nDistill': '24', // 16 to train on: 4 steps per epoch, 8 in all
  'world.nEval': '1',
  'sft.epochs': '2',
  'sft.batchSize': '4',
  'eval.maxCompletionLength': '6',
});

describe('train --resume', () => {
  beforeAll(() => switchTestBackend('wasm'));

  it('goes on with a killed run in its folder to done, each step once; refuses settings, a done run', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rl-resume-'));
    const rec = createRunRecorder(createFileStore(root), newRunRecord('r1', run, { backend: 'wasm' }));
    await rec.setStatus('running');
    const model = freshModel(run);
    const p = createPipeline(run, model, worldData(run));
    for (let i = 0; i < 5; i++) await rec.record(await p.step(), p.progress()); // 'latest' at 2 and 4; 5 is lost
    p.dispose();
    tf.dispose(Object.values(model.params));
    const dir = join(root, 'r1');

    expect(train(['--resume', dir, '--sft.lr', '0.1']).stderr).toMatch(/--resume goes on with the run as it was/);
    const r = train(['--resume', dir, '--backend', 'wasm']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/run.json says "running"/);
    expect(r.stdout).toMatch(/resuming in sft after 4 SFT and 0 GRPO steps, from checkpoint 'latest'/);
    const rows = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.filter((x) => x.stage === 'sft').map((x) => x.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'))).toMatchObject({ status: 'done', error: null });
    expect(train(['--resume', dir, '--backend', 'wasm']).stderr).toMatch(/the run is done; nothing to go on with/);
  });
});

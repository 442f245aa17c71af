// What must hold: a checkpoint's files saved to a folder load back byte-identical, no temporary files
// stay behind, and a folder missing a file is refused naming it.
import { mkdtemp, readdir, rm, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint';
import { loadCheckpointDir, saveCheckpointDir } from './checkpoint_node';
import { presetConfig } from './config';
import { paramShapes } from './param_names';
import { defaultTokenizer } from './tokenizer';

const tok = defaultTokenizer();
const cfg = presetConfig('nano', {
  vocab_size: tok.vocabSize,
  bos_token_id: tok.bosId,
  eos_token_id: tok.eosId,
  pad_token_id: tok.padId,
});
const tensors = Object.fromEntries(
  Object.entries(paramShapes(cfg)).map(([n, s]) => {
    const data = new Float32Array(s.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i + n.length));
    return [n, { shape: s, data }];
  }),
);
const files = encodeCheckpoint({ config: cfg, tensors, tokenizer: tok.toHFJson() });
const dirs: string[] = [];

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('checkpoint folders', () => {
  it('save then load gives the same bytes and a valid checkpoint', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'ckpt-'));
    dirs.push(root);
    const dir = path.join(root, 'nested', 'step-10');
    await saveCheckpointDir(dir, files);
    await saveCheckpointDir(dir, files); // overwriting works
    expect((await readdir(dir)).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    const back = await loadCheckpointDir(dir);
    for (const name of Object.keys(files)) expect(Buffer.compare(back[name], files[name]), name).toBe(0);
    expect(decodeCheckpoint(back).config).toEqual(cfg);
  });

  it('refuses a folder missing a file, naming it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ckpt-'));
    dirs.push(dir);
    await saveCheckpointDir(dir, files);
    await unlink(path.join(dir, 'tokenizer.json'));
    await expect(loadCheckpointDir(dir)).rejects.toThrow(/has no tokenizer.json/);
  });

  it('refuses file names with a path', async () => {
    await expect(saveCheckpointDir(os.tmpdir(), { '../x.json': new Uint8Array(1) })).rejects.toThrow(
      /must not contain a path/,
    );
  });
});

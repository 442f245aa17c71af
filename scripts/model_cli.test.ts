// The CLIs take a real model by `--model`: a Hugging Face folder or `hf:owner/name` from the Hub (here the tests'
// stand-in, reached through HF_ENDPOINT, cached under RUBRIC_LAB_CACHE). judge --json keeps its fields and its
// prompt is the model's chat template around RM-R1's instruct prompt; eval gives its report on an importer's
// file; tokenize reads a Hub model's tokenizer; a repo the Hub does not have is named; a model past
// --device-memory is refused with its memory plan's numbers before any weight is fetched; --backend webgpu
// without a GPU driver in the environment runs again on SwiftShader. The CLIs are spawned
// without blocking, so the stand-in Hub in this process can answer them.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFromFiles } from '../src/engine/checkpoint';
import { startTestHub, type TestHub } from '../src/engine/hf/test_hub_server';
import { TINY_VARIANTS, tinyCheckpoint } from '../src/engine/hf/tiny_checkpoint';
import { modelPrompt } from '../src/rm/cor_prompt';
import { runScript as cli } from './run_script';

// Qwen2-shaped (q/k/v biases, sharded with an index, the ChatML template): the family real instruct judges are.
const variant = TINY_VARIANTS.find((v) => v.name === 'qwen2-sharded-bf16')!;
const files = tinyCheckpoint(variant).files;
const root = mkdtempSync(join(tmpdir(), 'rl-model-cli-'));
const dir = join(root, 'model');
mkdirSync(dir);
for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
const pair = { prompt: 'Which is larger, 7 or 9?', a: '9 is larger.', b: '7 is larger.' };
const pairArgs = ['--prompt', pair.prompt, '--a', pair.a, '--b', pair.b];
const data = join(root, 'pairs.jsonl');
writeFileSync(
  data,
  [
    { prompt: 'Say hello.', chosen: 'Hello!', rejected: 'Go away.', subset: 'alpacaeval-easy', id: 1 },
    { prompt: '2 + 2?', chosen: '4', rejected: '5', subset: 'math-prm', id: 2 },
    { prompt: 'Name a colour.', chosen: 'Red.', rejected: 'Seven.', subset: 'alpacaeval-easy', id: 3 },
  ]
    .map((r) => JSON.stringify(r))
    .join('\n'),
);

let hub: TestHub;
let hubEnv: Record<string, string>;
beforeAll(async () => {
  hub = await startTestHub();
  hub.commit('test-org/tiny-judge', files);
  hubEnv = { HF_ENDPOINT: hub.url, RUBRIC_LAB_CACHE: join(root, 'cache') };
});
afterAll(() => hub?.stop());

describe('--model: a Hugging Face model folder or hf:owner/name', () => {
  it('judge --json from a folder: the chat-template prompt, its ids and the generated ids', async () => {
    const r = await cli('judge.ts', ['--model', dir, ...pairArgs, '--max-new-tokens', '6', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const expected = modelPrompt(modelFromFiles(files).tok, pair);
    expect(out.model).toBe(dir);
    expect(out.judgements[0].prompt_text).toBe(expected.text);
    expect(out.judgements[0].prompt_text).toMatch(/^<\|im_start\|>system\nPlease act as an impartial judge/);
    expect(out.judgements[0].prompt_ids).toEqual(expected.ids);
    expect(out.judgements[0].generated_ids.length).toBeGreaterThan(0);
    expect(out.judgements[0].generated_ids.length).toBeLessThanOrEqual(6);
    expect(out.swapped_judgements[0].prompt_text).toContain(`[The Start of Chatbot A's Response]\n${pair.b}`);
  });

  it('judge --json from the Hub: the same judgement as from the folder; --checkpoint is the same flag', async () => {
    const args = [...pairArgs, '--max-new-tokens', '6', '--json'];
    const fromHub = await cli('judge.ts', ['--model', 'hf:test-org/tiny-judge', ...args], hubEnv);
    expect(fromHub.status, fromHub.stderr).toBe(0);
    expect(fromHub.stderr).toMatch(/^model-00001-of-00003\.safetensors .* · done$/m); // progress on stderr
    const fromDir = await cli('judge.ts', ['--checkpoint', dir, ...args]);
    expect(fromDir.status, fromDir.stderr).toBe(0);
    const [h, d] = [JSON.parse(fromHub.stdout), JSON.parse(fromDir.stdout)];
    expect(h.judgements[0].prompt_ids).toEqual(d.judgements[0].prompt_ids);
    expect(h.judgements[0].generated_ids).toEqual(d.judgements[0].generated_ids);
  });

  it('eval on an importer file: the report with per-category figures, position consistency, unparseable', async () => {
    const out = join(root, 'eval.json');
    const r = await cli('eval.ts', ['--model', dir, '--data', data, '--max-new-tokens', '4', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pairs\.jsonl: rewardbench, 3 pairs, 0 bad records/);
    expect(r.stdout).toMatch(/^overall \d+\.\d% of 6 judgements .* position-consistent \d+\.\d%, unparseable /m);
    expect(r.stdout).toMatch(/^ {2}category chat: \d\/4 /m);
    expect(r.stdout).toMatch(/^ {2}subset math-prm: \d\/2 /m);
    const rep = JSON.parse(readFileSync(out, 'utf8'));
    expect(rep.overall.total).toBe(6);
    expect(rep.unparseableRate).toBeGreaterThanOrEqual(0);
  });

  it('tokenize --chat from the Hub model: ids and tokens of the rendered text', async () => {
    const r = await cli(
      'tokenize.ts',
      ['--model', 'hf:test-org/tiny-judge', '--text', 'hi', '--chat', '--json'],
      hubEnv,
    );
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const tok = modelFromFiles(files).tok;
    expect(out.text).toMatch(/<\|im_start\|>user\nhi<\|im_end\|>\n<\|im_start\|>assistant\n$/);
    expect(out.ids).toEqual(tok.encode(out.text).ids);
  });

  it('a repo the Hub does not have is named, in one line, exit 1', async () => {
    for (const [script, extra] of [
      ['judge.ts', pairArgs],
      ['eval.ts', ['--data', data]],
    ] as const) {
      const r = await cli(script, ['--model', 'hf:test-org/no-such-model', ...extra], hubEnv);
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^error: .*test-org\/no-such-model.*not found/);
    }
  });

  it('a model past --device-memory is refused with its plan, before its weights are downloaded or read', async () => {
    hub.commit('test-org/too-big', files);
    // 1 MiB: the tiny model's weights fit, not with the KV cache and activations of a 768-token prompt
    const budget = ['--device-memory', String(1 / 1024)];
    const numbers = new RegExp(
      String.raw`^error: .*does not fit \(nothing of its weights was downloaded\):\n` +
        String.raw`weights [\d.]+ KiB \+ KV cache [\d.]+ [KM]iB \+ activations [\d.]+ [MG]iB = [\d.]+ [MG]iB, ` +
        String.raw`past the device memory of 1\.0 MiB$`,
      'm',
    );
    const seen = hub.requests.length;
    const fromHub = await cli('judge.ts', ['--model', 'hf:test-org/too-big', ...pairArgs, ...budget], hubEnv);
    expect(fromHub.status).toBe(1);
    expect(fromHub.stderr).toMatch(numbers);
    const asked = hub.requests.slice(seen).map((r) => r.path);
    expect(asked.some((p) => p.endsWith('/config.json'))).toBe(true);
    expect(asked.filter((p) => p.endsWith('.safetensors') || p.startsWith('/cdn/'))).toEqual([]);
    const fromDir = await cli('eval.ts', ['--model', dir, '--data', data, ...budget]);
    expect(fromDir.status).toBe(1);
    expect(fromDir.stderr).toMatch(numbers);
  });

  it('judge --backend webgpu where no GPU driver is set up runs itself again on SwiftShader', async () => {
    const noDriver = { VK_ICD_FILENAMES: '', LD_LIBRARY_PATH: '' };
    const r = await cli(
      'judge.ts',
      ['--model', dir, ...pairArgs, '--max-new-tokens', '2', '--backend', 'webgpu'],
      noDriver,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^Running on WebGPU on /m);
    expect(r.stdout).toMatch(/^verdict: /m);
  }, 600_000);

  it('--model and --checkpoint together, or neither, are refused', async () => {
    const both = await cli('judge.ts', ['--model', dir, '--checkpoint', dir, ...pairArgs]);
    expect(both.stderr.trim()).toBe('error: --model and --checkpoint both given; use one');
    const none = await cli('eval.ts', ['--data', data]);
    expect(none.stderr.trim()).toMatch(/^error: --model is required: /);
  });
});

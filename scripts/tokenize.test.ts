// `npm run tokenize`: the ids it prints are the tokenizer's own (a Hugging Face tokenizer folder and one of our
// checkpoints), --chat renders the text through the model's chat template first, and a bad folder or a model
// without a template is refused with one line naming it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tinyTokenizerFiles } from '../src/engine/hf/tiny_tokenizer';
import { HFTokenizer } from '../src/engine/hf/tokenizer';

const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const run = (args: string[]) =>
  spawnSync(tsx, [join('scripts', 'tokenize.ts'), ...args], { encoding: 'utf8', timeout: 100_000 });

const files = tinyTokenizerFiles();
const dir = mkdtempSync(join(tmpdir(), 'rl-tokenize-'));
for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
const tok = HFTokenizer.fromFiles(files);
const text = 'The answer is 42 🎉\n<|im_end|>';

describe('npm run tokenize', () => {
  it('prints one line per token: id, token and piece, JSON-quoted', () => {
    const r = run(['--model', dir, '--text', text]);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    const ids = tok.encode(text).ids;
    expect(lines.map((l) => Number(l.split('\t')[0]))).toEqual(ids);
    expect(lines[1]).toBe(`${ids[1]}\t"Ġanswer"\t" answer"`);
    expect(lines.at(-1)).toBe(`${tok.tokenToId('<|im_end|>')}\t"<|im_end|>"\t"<|im_end|>"`);
  });

  it('--chat --json: the text through the chat template, with ids, tokens and pieces', () => {
    const r = run(['--model', dir, '--text', 'hi', '--chat', '--json']);
    const out = JSON.parse(r.stdout);
    expect(out.text).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' +
        '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(out.ids).toEqual(tok.encode(out.text).ids);
    expect(out.tokens).toEqual(out.ids.map((id: number) => tok.idToToken(id)));
    expect(out.pieces.join('')).toBe(out.text);
  });

  it('reads our own checkpoints too (character ids after the control and tag tokens)', () => {
    const r = run(['--model', join('e2e', 'fixtures', 'nano-judge'), '--text', 'Hi<eos>', '--json']);
    expect(JSON.parse(r.stdout).ids).toEqual([65, 98, 2]);
  });

  it('refuses a missing folder, a folder without a tokenizer and --chat without a template, in one line', () => {
    const cases: [string[], string][] = [
      [['--model', '/nonexistent/model', '--text', 'x'], 'error: --model /nonexistent/model: no such folder'],
      [['--model', tmpdir(), '--text', 'x'], `error: --model ${tmpdir()}: the folder has no tokenizer.json`],
      [
        ['--model', join('e2e', 'fixtures', 'nano-judge'), '--text', 'x', '--chat'],
        'error: --chat: e2e/fixtures/nano-judge has no chat template (tokenizer_config.json chat_template or ' +
          'chat_template.jinja)',
      ],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(message);
    }
  });
});

// `npm run tokenize -- --model DIR|hf:owner/name[@rev] --text "…" [--chat] [--json]` (`--help` lists all)
// Shows how a model reads a text: one line per token with its id, the token as the vocabulary spells it and
// its readable piece (JSON-quoted, so spaces and newlines show), or one JSON object with --json. With
// --chat, the text is a user message rendered through the model's chat template with the generation
// prompt, as the judge's prompt is. DIR holds tokenizer.json (ours or a Hugging Face one) and, for real
// models, tokenizer_config.json, generation_config.json or chat_template.jinja; a Hub model is loaded into the
// cache first, as `npm run judge` loads it (the whole model, so the judge finds it there).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseModelArg } from '../src/engine/hf/model_ref';
import { openModelArg } from '../src/engine/hf/source_node';
import { loadTokenizer, TOKENIZER_FILES, type TokenizerFiles } from '../src/engine/hf/tokenizer';
import type { TextTokenizer } from '../src/engine/text_tokenizer';
import { bool, required, text, withDefault } from '../src/train/settings';
import { exitWithMessageOnError, parseCli, pathFlag } from './cli_util';

exitWithMessageOnError();

const { flags: f } = parseCli(process.argv.slice(2), {
  usage: 'npm run tokenize -- --model DIR|hf:owner/name[@rev] --text "…" [--chat] [--json]',
  flags: {
    model: required(
      pathFlag(
        'A model folder with tokenizer.json (+ tokenizer_config.json for real models), or hf:owner/name[@revision].',
      ),
    ),
    text: required(text('The text to tokenize.')),
    chat: withDefault(bool("Render the text as a user message through the model's chat template first."), false),
    json: withDefault(bool('Print one JSON object {text, ids, tokens, pieces} instead of one line per token.'), false),
  },
});

function readFolder(dir: string): TokenizerFiles {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`--model ${dir}: no such folder`);
  const files: TokenizerFiles = {};
  for (const name of TOKENIZER_FILES)
    if (existsSync(join(dir, name))) files[name] = new Uint8Array(readFileSync(join(dir, name)));
  if (!files['tokenizer.json']) throw new Error(`--model ${dir}: the folder has no tokenizer.json`);
  return files;
}

/** The tokenizer files of --model: read from the folder, or from the cached Hub model. */
async function tokenizerFiles(arg: string): Promise<TokenizerFiles> {
  const parsed = parseModelArg(arg);
  if (parsed.kind === 'dir') return readFolder(parsed.dir);
  const source = await openModelArg(arg);
  const files: TokenizerFiles = {};
  for (const name of TOKENIZER_FILES) {
    const bytes = await source.read(name);
    if (bytes) files[name] = bytes;
  }
  if (!files['tokenizer.json']) throw new Error(`--model ${arg}: the model has no tokenizer.json`);
  return files;
}

let tok: TextTokenizer;
try {
  tok = loadTokenizer(await tokenizerFiles(f.model));
} catch (e) {
  const message = (e as Error).message;
  throw new Error(message.startsWith('--model') ? message : `--model ${f.model}: ${message}`);
}
if (f.chat && !tok.chatTemplate)
  throw new Error(
    `--chat: ${f.model} has no chat template (tokenizer_config.json chat_template or chat_template.jinja)`,
  );
const input = f.chat
  ? tok.chatTemplate!.render([{ role: 'user', content: f.text }], { addGenerationPrompt: true })
  : f.text;
const ids = tok.encode(input).ids;
const tokens = ids.map((id) => tok.idToToken(id)!);
const pieces = ids.map((id) => tok.piece(id));

if (f.json) console.log(JSON.stringify({ text: input, ids, tokens, pieces }, null, 2));
else {
  if (f.chat) console.log(`text: ${JSON.stringify(input)}`);
  ids.forEach((id, i) => console.log(`${id}\t${JSON.stringify(tokens[i])}\t${JSON.stringify(pieces[i])}`));
}

// `npm run merge -- --model DIR|hf:owner/name[@rev] --adapter DIR|hf:owner/name[@rev] --out DIR`
// Merges a PEFT LoRA adapter into its base and writes the result as a Hugging Face checkpoint in the base's
// dtype: config.json, model.safetensors (W + s·B·A on every projection the adapter targets, the rest as they
// were) and the base's tokenizer files, a folder transformers' from_pretrained and our --model read. The
// adapter is checked against the base (a tensor of the wrong shape is an error naming it and both shapes; a
// different base_model_name_or_path is a warning naming both).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { modelFromSource } from '../src/engine/checkpoint';
import { saveCheckpointDir } from '../src/engine/checkpoint_node';
import { ADAPTER_FILES, baseMismatch, fetchHubAdapter } from '../src/engine/hf/adapter_source';
import { DEFAULT_HUB_URL, normalizeHubUrl, parseHubId } from '../src/engine/hf/model_ref';
import { dtypeOf, exportMerged, importPeftAdapter } from '../src/engine/hf/peft';
import { openModelArg } from '../src/engine/hf/source_node';
import { TOKENIZER_FILES } from '../src/engine/hf/tokenizer';
import { loraModules, loraScale } from '../src/engine/lora';
import { required } from '../src/train/settings';
import { exitWithMessageOnError, MODEL_FLAGS, parseCli, pathFlag } from './cli_util';

exitWithMessageOnError();

const { flags: f } = parseCli(process.argv.slice(2), {
  usage: 'npm run merge -- --model DIR|hf:owner/name[@rev] --adapter DIR|hf:owner/name[@rev] --out DIR',
  flags: {
    model: required(MODEL_FLAGS.model),
    adapter: required(
      pathFlag('The PEFT adapter: a folder with adapter_config.json and adapter_model.safetensors, or hf:owner/name.'),
    ),
    out: required(pathFlag('The folder to write the merged checkpoint to (created; its files replaced).')),
  },
});

/** The adapter's files from a folder or the Hub ($HF_ENDPOINT, $HF_TOKEN as for --model). */
async function adapterFiles(arg: string): Promise<Record<string, Uint8Array>> {
  if (arg.startsWith('hf:')) {
    const hubUrl = normalizeHubUrl(process.env.HF_ENDPOINT ?? DEFAULT_HUB_URL);
    return fetchHubAdapter(parseHubId(arg), { hubUrl, token: process.env.HF_TOKEN || undefined });
  }
  const files: Record<string, Uint8Array> = {};
  for (const name of ADAPTER_FILES) {
    try {
      files[name] = new Uint8Array(readFileSync(join(arg, name)));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(`--adapter ${arg}: ${code === 'ENOENT' ? `no ${name} in the folder` : (e as Error).message}`);
    }
  }
  return files;
}

await tf.setBackend('cpu'); // one matmul per projection: no GPU needed
const source = await openModelArg(f.model);
const model = await modelFromSource(source).catch((e: Error) => {
  throw new Error(`--model ${f.model}: ${e.message}`);
});
const files = await adapterFiles(f.adapter);
let imported: ReturnType<typeof importPeftAdapter>;
try {
  imported = importPeftAdapter(model.params, model.cfg, files);
} catch (e) {
  throw new Error(`--adapter ${f.adapter} on --model ${f.model}: ${(e as Error).message}`);
}
const warning = baseMismatch(imported.baseModel, f.model.replace(/^hf:/, ''));
if (warning) process.stderr.write(`warning: ${warning}\n`);

const tokenizerFiles: Record<string, Uint8Array> = {};
for (const name of TOKENIZER_FILES) {
  const bytes = await source.read(name);
  if (bytes) tokenizerFiles[name] = bytes;
}
const modules = loraModules(model.params).length;
const out = await exportMerged(model.params, model.cfg, tokenizerFiles);
tf.dispose(Object.values(model.params));
await saveCheckpointDir(f.out, out);
const s = imported.settings;
console.log(
  `merged ${modules} projections (r = ${s.rank}, s = ${+loraScale(s).toPrecision(6)}) into ${f.out}: ` +
    `${Object.keys(out).sort().join(', ')} (weights in ${dtypeOf(model.cfg)})`,
);

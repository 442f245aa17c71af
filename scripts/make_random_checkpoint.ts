// `npm run make-checkpoint -- --shape smollm2-135m|qwen2.5-0.5b --out DIR [--seed 1] [--check] [--backend wasm]`
// Writes a Hugging Face checkpoint folder of a real model's exact shape with random BF16 weights: config.json
// (the real one's fields, src/engine/hf/known_configs.ts), model.safetensors, and a synthetic tokenizer of the
// real vocabulary size with ChatML's special tokens at the real ids (hf/synthetic_tokenizer.ts). The
// weights are generated and written a chunk at a time, so the script never holds a tensor, let alone the
// model. With --check it then loads the folder as the lab loads any model (tensor by tensor), runs a short
// greedy generation, and prints the load's figures: peak RSS, the loader's peak held bytes, time per token.
import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { modelFromSource } from '../src/engine/checkpoint';
import { validateConfig } from '../src/engine/config';
import { generate } from '../src/engine/generate';
import { RANDOM_SHAPES } from '../src/engine/hf/known_configs';
import { dirSource } from '../src/engine/hf/source_node';
import { syntheticTokenizerFiles } from '../src/engine/hf/synthetic_tokenizer';
import { SINGLE_FILE } from '../src/engine/hf/weights';
import { initNodeBackend } from '../src/engine/node_webgpu';
import { isNormWeight, paramShapes } from '../src/engine/param_names';
import { createRng } from '../src/engine/rng';
import { encodeTensor, safetensorsHeader } from '../src/engine/safetensors';
import { bool, choice, int, required, withDefault } from '../src/train/settings';
import { BACKEND_FLAG, exitWithMessageOnError, parseCli, pathFlag } from './cli_util';

exitWithMessageOnError();

const { flags: f } = parseCli(process.argv.slice(2), {
  usage: 'npm run make-checkpoint -- --shape smollm2-135m|qwen2.5-0.5b --out DIR [--seed S] [--check]',
  flags: {
    shape: required(choice(Object.keys(RANDOM_SHAPES), 'The real model whose shape to copy.')),
    out: required(pathFlag('The folder to write (created; files in it are replaced).')),
    seed: withDefault(int(0, 2 ** 31 - 1, 'Seed of the random weights.'), 1),
    check: withDefault(bool('Then load the folder, generate a few tokens and print peak memory.'), false),
    backend: BACKEND_FLAG,
  },
});

const CHUNK = 1 << 20; // values generated and written at a time
const MB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const rssNow = () => process.memoryUsage().rss;
const peakRss = () => process.resourceUsage().maxRSS * 1024;

/** model.safetensors written a chunk at a time: normal(0, initializer_range) weights and biases, norms at 1. */
async function writeWeights(path: string, shapes: Record<string, number[]>, std: number, seed: number) {
  const rng = createRng(seed);
  const names = Object.keys(shapes);
  const file = await open(`${path}.tmp`, 'w');
  try {
    await file.write(
      safetensorsHeader(
        names.map((name) => ({ name, dtype: 'BF16', shape: shapes[name] })),
        { format: 'pt' },
      ),
    );
    for (const name of names) {
      const count = shapes[name].reduce((a, b) => a * b, 1);
      for (let done = 0; done < count; done += CHUNK) {
        const chunk = new Float32Array(Math.min(CHUNK, count - done));
        if (isNormWeight(name)) chunk.fill(1);
        else for (let i = 0; i < chunk.length; i++) chunk[i] = rng.normal() * std;
        await file.write(encodeTensor(chunk, 'BF16'));
      }
    }
  } finally {
    await file.close();
  }
  await rename(`${path}.tmp`, path);
}

const json = (x: unknown) => `${JSON.stringify(x, null, 2)}\n`;
const shape = RANDOM_SHAPES[f.shape];
const cfg = validateConfig(shape.config);
const shapes = paramShapes(cfg);
const params = Object.values(shapes).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
await mkdir(f.out, { recursive: true });
const t0 = performance.now();
await writeFile(join(f.out, 'config.json'), json(shape.config));
for (const [name, bytes] of Object.entries(syntheticTokenizerFiles(shape.tokenizer)))
  await writeFile(join(f.out, name), bytes);
const rssBefore = rssNow();
await writeWeights(join(f.out, SINGLE_FILE), shapes, cfg.initializer_range, f.seed);
console.log(
  `${f.out}: ${f.shape}-shaped, ${params} parameters, ${MB(2 * params)} of BF16 written in ` +
    `${((performance.now() - t0) / 1000).toFixed(1)} s; RSS ${MB(rssBefore)} before the weights, ` +
    `${MB(rssNow())} after; peak RSS ${MB(peakRss())}`,
);

if (f.check) {
  const backend = await initNodeBackend(f.backend);
  const before = rssNow();
  const t1 = performance.now();
  let held = 0;
  const m = await modelFromSource(await dirSource(f.out), { stats: (s) => (held = s.peakHeldBytes) });
  const loadS = (performance.now() - t1) / 1000;
  console.log(
    `loaded on ${backend.name} in ${loadS.toFixed(1)} s: the model is ${MB(4 * params)} as float32; RSS grew ` +
      `${MB(rssNow() - before)}; the loader held at most ${MB(held)} beyond the model; peak RSS ${MB(peakRss())}`,
  );
  const chat = m.tok.chatTemplate!.render([{ role: 'user', content: 'Which is right, A or B?' }], {
    addGenerationPrompt: true,
  });
  const prompt = m.tok.encode(chat).ids;
  const t2 = performance.now();
  const out = await generate(m.params, m.cfg, [prompt], {
    maxNewTokens: 8,
    temperature: 0,
    seed: 1,
    eosIds: m.tok.eosIds,
    padId: m.tok.padId,
  });
  const perToken = (performance.now() - t2) / out.tokens[0].length;
  console.log(
    `greedy after a ${prompt.length}-token prompt: [${out.tokens[0].join(', ')}] (${out.stopReasons[0]}), ` +
      `${perToken.toFixed(0)} ms per token including the prefill; peak RSS ${MB(peakRss())}`,
  );
}

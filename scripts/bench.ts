// `npm run bench` — the engine benchmark in Node, on WASM and on WebGPU (Dawn + SwiftShader here, or a
// real GPU) when available. Prints Markdown tables and writes JSON (bench-results/engine.json). The
// browser runs the same suite on bench.html.
//   npm run bench -- --backends wasm,webgpu --presets nano,tiny --steps 3 --out bench-results/engine.json
//   npm run bench -- --backends webgpu --presets nano --steps 1 --compare
//   npm run bench -- --backends webgpu --kernels stock
//   npm run bench -- --backends webgpu --presets nano --steps 2 --compare --first-step --submit-batch 1,15,64
// --decode-cost --pool-trim
//   npm run bench -- --backends webgpu --presets nano --compare --lora-rank 8   (LoRA adapters trained instead)
// --compare runs each backend and preset twice in this process, stock tfjs ops then the fused WebGPU
// kernels (engine/kernels/fused.ts), same shapes and seeds, and prints each figure for both with the
// ratio stock/fused; the JSON gets both rows and a `comparisons` list. The fused kernels are WGSL programs,
// so on other backends only the stock run is made. Without it, each run takes the kernels `--kernels
// auto|fused|stock` picks (engine/kernel_choice.ts; auto, the default: fused on WebGPU where the kernel
// self-check passes on this adapter), and the path in force and why is printed for each backend.
// --first-step times a fresh device's first training step and first tokens, without and with the shader
// precompile (engine/precompile.ts); --submit-batch times the fused path (without --compare, the chosen one) at
// these WebGPU submit batch sizes; --decode-cost measures a token early and late in the context;
// --pool-trim times steps of changing length with the WebGPU buffer pool trimmed after each, against untrimmed.
//   npm run bench -- --model DIR|hf:owner/name[@rev] [--backends wasm,webgpu] [--prompt-tokens 32] [--new-tokens 8]
//     [--weights f16,f32]   (WebGPU: the frozen matrices in half precision and in float32, side by side: the default)
// --model measures a real model instead (scripts/bench_model.ts, the bench page's model suite): load time, memory,
// prefill and decode tokens/s, dispatches per token, on the kernels --kernels picks, and other runtimes' published
// figures for a model of the same shape; JSON to bench-results/model.json unless --out is given.
//   npm run bench -- --f16-matmul
// --f16-matmul times decode's matmuls with f32 weights against half-precision words (scripts/bench_matmul.ts).
//   npm run bench -- --reductions [--batch 1] [--seq-len 64] [--train-steps 2]
// --reductions times the fused kernels that reduce across rows with subgroups and without
// (scripts/bench_reductions.ts): decode rows --batch over --prompt-tokens keys, training rows --seq-len,
// --train-steps calls each.
// --lora-rank R: the presets train LoRA adapters of rank R instead of the whole model, and --model generates
// with adapters of rank R on every projection (bench.ts's BENCH_LORA).
//   npm run bench -- --model DIR --train full,lora8,lora16 [--batch 2] [--seq-len 64] [--train-steps 2] [--recompute]
//     [--micro-batch N] [--grpo]
// --train measures the model's training step instead: full fine-tuning against LoRA of those ranks (peak tensor
// bytes beside the training memory plan's, ms per step, kernels and dispatches per layer); lora16f16 holds the
// frozen base in half precision (WebGPU). With --grpo each is a GRPO step: --batch judgements (G) of
// --new-tokens each, sampled, scored, and the loss and update on them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { runSuite, SUITE_SETTINGS } from '../src/bench/suite';
import { resultMarkdown } from '../src/bench/tables';
import type { BackendName } from '../src/engine/backend';
import { selectKernelsInNode } from '../src/engine/kernel_choice_node';
import { initNodeBackend, nodeWebGPUAvailable } from '../src/engine/node_webgpu';
import { MODEL_SUITE_SETTINGS as M } from '../src/bench/model_suite';
import { bool, list, withDefault } from '../src/train/settings';
import { benchMatmulCli } from './bench_matmul';
import { benchModelCli } from './bench_model';
import { benchReductionsCli } from './bench_reductions';
import { exitWithMessageOnError, NODE_BACKENDS, parseCli, pathFlag } from './cli_util';
import { relaunchForWebGPU } from './gpu_driver';

exitWithMessageOnError();

// The bench page's options tables (the suite's, the real model's) under the CLI's flag names; on a command line a
// measurement is off unless its flag is given, so --compare too (the page compares by default).
const S = SUITE_SETTINGS;
const withTrain = (help: string) => help.replace(/^Training:/, 'With --train:');
const { flags: f } = parseCli(process.argv.slice(2), {
  usage: 'npm run bench -- [--backends wasm,webgpu] [--presets nano,tiny] [--steps 2] [--compare] [--kernels K] ...',
  flags: {
    backends: withDefault(
      list<BackendName>(S.backends.help, { items: NODE_BACKENDS, minItems: 1 }),
      S.backends.default,
    ),
    presets: S.presets,
    steps: S.steps,
    compare: { ...S.compare, default: false },
    kernels: S.kernels,
    'first-step': S.firstStep,
    'submit-batch': S.submitBatches,
    'decode-cost': S.decodeCost,
    'pool-trim': S.poolTrim,
    'lora-rank': S.loraRank,
    out: withDefault(pathFlag('Where to write the results JSON.'), 'bench-results/engine.json'),
    model: pathFlag('Measure this real model instead of the presets: a folder or hf:owner/name[@revision].'),
    'prompt-tokens': {
      ...M.promptTokens,
      help: 'With --model: prompt tokens before decoding; with --reductions: keys in the decode cache.',
    },
    weights: { ...M.weights, help: `With --model: ${M.weights.help}` },
    'f16-matmul': bool(
      "Measure decode's matmuls instead: f32 weights against half-precision words on SmolLM2-135M's and " +
        "Qwen2.5-0.5B's layer shapes (WebGPU).",
    ),
    reductions: bool(
      'Measure the fused kernels that reduce across rows instead, with subgroups and without (WebGPU): decode ' +
        'rows --batch over --prompt-tokens keys, training rows --seq-len, --train-steps calls each.',
    ),
    'new-tokens': { ...M.newTokens, help: `With --model: ${M.newTokens.help}` },
    train: { ...M.train, help: `With --model: ${M.train.help}` },
    batch: { ...M.batch, help: 'With --train: sequences per step (GRPO: G); with --reductions: decode rows.' },
    'seq-len': { ...M.seqLen, help: 'With --train: tokens per sequence; with --reductions: training rows.' },
    'train-steps': {
      ...M.trainSteps,
      help: 'With --train: timed steps after the warm-up step; with --reductions: timed calls.',
    },
    'micro-batch': { ...M.microBatch, help: withTrain(M.microBatch.help) },
    recompute: { ...M.recompute, help: withTrain(M.recompute.help) },
    grpo: { ...M.grpo, help: withTrain(M.grpo.help) },
  },
});

// WASM alone needs no driver; WebGPU without one runs this script again on SwiftShader
await relaunchForWebGPU(f.backends.includes('webgpu'));

if (f['f16-matmul']) {
  await benchMatmulCli({
    rows: [1, 4],
    repeats: 3,
    out: process.argv.includes('--out') ? f.out : 'bench-results/matmul.json',
  });
  process.exit(0);
}

if (f.reductions) {
  await benchReductionsCli({
    rows: f.batch,
    tokens: f['seq-len'],
    context: f['prompt-tokens'],
    repeats: f['train-steps'],
    out: process.argv.includes('--out') ? f.out : 'bench-results/reductions.json',
  });
  process.exit(0);
}

if (f.model !== undefined) {
  await benchModelCli({
    model: f.model,
    backends: f.backends,
    kernels: f.kernels,
    promptTokens: f['prompt-tokens'],
    newTokens: f['new-tokens'],
    loraRank: f['lora-rank'],
    weights: f.weights,
    train: f.train,
    batch: f.batch,
    seqLen: f['seq-len'],
    trainSteps: f['train-steps'],
    recompute: f.recompute,
    microBatch: f['micro-batch'],
    grpo: f.grpo,
    out: process.argv.includes('--out') ? f.out : 'bench-results/model.json',
  });
  process.exit(0);
}

const result = await runSuite(
  {
    backends: f.backends,
    presets: f.presets,
    steps: f.steps,
    compare: f.compare,
    kernels: f.kernels,
    firstStep: f['first-step'],
    submitBatches: f['submit-batch'],
    decodeCost: f['decode-cost'],
    poolTrim: f['pool-trim'],
    loraRank: f['lora-rank'],
  },
  {
    async startBackend(b) {
      const why = b === 'webgpu' ? await nodeWebGPUAvailable() : null;
      if (why) throw new Error(why);
      const report = await initNodeBackend(b);
      if (report.name !== b) throw new Error(report.skipped.map((s) => s.reason).join('; '));
      console.log(report.summary);
      return report;
    },
    async selectKernels(mode, report) {
      const choice = await selectKernelsInNode(mode, report);
      console.log(`kernels: ${choice.summary}`);
      return choice;
    },
    onProgress: (p) => {
      if (p.done < p.total) console.log(`  [${p.done + 1}/${p.total}] ${p.label}`);
    },
  },
);
for (const s of result.skipped) console.log(`skipped ${s}`);
console.log(`\n${resultMarkdown(result)}`);
mkdirSync(dirname(f.out), { recursive: true });
writeFileSync(f.out, JSON.stringify(result, null, 2));
console.log(`\nwrote ${f.out}`);
process.exit(0);

// `npx tsx scripts/train_fit.ts [--budget-mib 4096] [--batch 2] [--seq-len 512] [--rank 16]`: which of the
// small real models' shapes train within a GPU budget by the training memory plan (engine/train_memory.ts),
// with full fine-tuning and with LoRA on every projection: the step's peak with activations kept and
// recomputed, and the fewest micro-batches (with recomputation where needed) that fit; one distillation step
// of batch × seq-len tokens, no limits besides the budget. SmolLM2-360M's shape is its published config
// (SmolLM2-135M's family: hidden 960, MLP 2560, 32 layers, 15 heads, 5 kv heads, vocabulary 49152, tied).
import { validateConfig } from '../src/engine/config';
import {
  QWEN25_05B_INSTRUCT,
  QWEN3_06B,
  SMOLLM2_135M_INSTRUCT,
  TINYLLAMA_11B_CHAT,
} from '../src/engine/hf/known_configs';
import { LORA_TARGETS } from '../src/engine/lora';
import { binaryBytes } from '../src/engine/memory';
import { fitTraining, planTraining } from '../src/engine/train_memory';
import { int, withDefault } from '../src/train/settings';
import { exitWithMessageOnError, parseCli } from './cli_util';

exitWithMessageOnError();

const { flags: f } = parseCli(process.argv.slice(2), {
  usage: 'npx tsx scripts/train_fit.ts [--budget-mib 4096] [--batch 2] [--seq-len 512] [--rank 16]',
  flags: {
    'budget-mib': withDefault(int(1, 1 << 20, 'The GPU memory budget in MiB.'), 4096),
    batch: withDefault(int(1, 1024, 'Sequences per step.'), 2),
    'seq-len': withDefault(int(1, 32_768, 'Tokens per sequence.'), 512),
    rank: withDefault(int(1, 1024, 'LoRA rank (every projection adapted).'), 16),
  },
});

const SMOLLM2_360M = {
  ...SMOLLM2_135M_INSTRUCT,
  hidden_size: 960,
  intermediate_size: 2560,
  num_hidden_layers: 32,
  num_attention_heads: 15,
  num_key_value_heads: 5,
};
const MODELS: [string, object][] = [
  ['SmolLM2-135M', SMOLLM2_135M_INSTRUCT],
  ['SmolLM2-360M', SMOLLM2_360M],
  ['Qwen2.5-0.5B', QWEN25_05B_INSTRUCT],
  ['Qwen3-0.6B', QWEN3_06B],
  ['TinyLlama-1.1B', TINYLLAMA_11B_CHAT],
];

const budget = f['budget-mib'] * 2 ** 20;
const limits = { maxBufferSize: Infinity, maxStorageBufferBindingSize: Infinity, deviceBytes: budget };
const settings = [
  ['full', null],
  [`LoRA r=${f.rank}`, { rank: f.rank, targets: LORA_TARGETS }],
] as const;
console.log(`| model | params | training | peak, kept | peak, recomputed | in ${binaryBytes(budget)} |`);
console.log('|---|---|---|---|---|---|');
const largest: Record<string, string> = {};
for (const [name, config] of MODELS) {
  const cfg = validateConfig(config);
  for (const [label, lora] of settings) {
    const plan = (recompute: boolean) =>
      planTraining(cfg, { rows: f.batch, microBatch: 0, length: f['seq-len'], recompute, lora }, limits);
    const kept = plan(false),
      recomputed = plan(true);
    const req = { rows: f.batch, microBatch: 0, length: f['seq-len'], recompute: false, lora };
    const fit = fitTraining(cfg, req, limits);
    const rows = fit && (fit.microBatch < f.batch ? `micro-batches of ${fit.microBatch}` : 'the whole batch');
    const how = fit && `${rows}${fit.recompute ? ', recomputed' : ''}`;
    const fits = !kept.problems.length ? 'fits' : fit ? `fits with ${how} (${binaryBytes(fit.plan.totalBytes)})` : 'no';
    if (fits !== 'no') largest[label] = name;
    const params = `${(kept.params / 1e6).toFixed(0)} M`;
    console.log(
      `| ${name} | ${params} | ${label} | ${binaryBytes(kept.totalBytes)} | ` +
        `${binaryBytes(recomputed.totalBytes)} | ${fits} |`,
    );
  }
}
for (const [label] of settings)
  console.log(`largest that trains in ${binaryBytes(budget)} with ${label}: ${largest[label] ?? 'none'}`);

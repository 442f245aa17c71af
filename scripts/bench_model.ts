// `npm run bench -- --model DIR|hf:owner/name[@rev]`: a real model's load and decode figures on each backend
// (src/bench/real_model.ts). Each backend runs in a process of its own, so its peak RSS is its own (the peak
// never goes down in a process); the parent prints one table and writes the rows as JSON. With --train, the
// model's training step instead (src/bench/train_step.ts): full fine-tuning against LoRA ranks, a distillation
// step or (--grpo) a GRPO step.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type ModelBenchRow, benchRealModel } from '../src/bench/real_model';
import { modelBenchTable, tableMarkdown, trainBenchTable } from '../src/bench/tables';
import { benchTrainSteps, type TrainBenchRow } from '../src/bench/train_step';
import type { BackendName } from '../src/engine/backend';
import type { WeightPrecision } from '../src/engine/f16_weights';
import { modelFromSource } from '../src/engine/checkpoint';
import { openModelArg } from '../src/engine/hf/source_node';
import type { KernelMode } from '../src/engine/kernel_choice';
import { selectKernelsInNode } from '../src/engine/kernel_choice_node';
import { switchFusedKernels } from '../src/engine/kernels/fused';
import { initNodeBackend, nodeWebGPUAvailable } from '../src/engine/node_webgpu';

export interface ModelBenchCli {
  model: string;
  backends: BackendName[];
  kernels: KernelMode;
  promptTokens: number;
  newTokens: number;
  loraRank: number;
  /** How WebGPU holds the frozen matrices, a run each (engine/f16_weights.ts); other backends run f32 once. */
  weights: WeightPrecision[];
  out: string;
  /** Training settings to measure instead of decoding (full, lora8, …), on batch × seqLen tokens. */
  train: string[];
  batch: number;
  seqLen: number;
  trainSteps: number;
  microBatch: number;
  recompute: boolean;
  /** With train: GRPO steps (G = batch judgements of newTokens) instead of distillation steps. */
  grpo: boolean;
}

interface ModelBenchFile {
  environments: string[];
  rows: ModelBenchRow[];
  trainRows: TrainBenchRow[];
  skipped: string[];
}

const hostMemory = () => ({ rss: process.memoryUsage().rss, peakRss: process.resourceUsage().maxRSS * 1024 });

/** One backend in this process: start it, choose the kernels, load and measure. */
async function benchOne(o: ModelBenchCli, backend: BackendName): Promise<ModelBenchFile> {
  const why = backend === 'webgpu' ? await nodeWebGPUAvailable() : null;
  const none = { environments: [], rows: [], trainRows: [] };
  if (why) return { ...none, skipped: [`${backend}: ${why}`] };
  const report = await initNodeBackend(backend);
  if (report.name !== backend)
    return { ...none, skipped: [`${backend}: ${report.skipped.map((s) => s.reason).join('; ')}`] };
  const choice = await selectKernelsInNode(o.kernels, report);
  switchFusedKernels(choice.path === 'fused');
  console.log(`${report.summary}\nkernels: ${choice.summary}`);
  const source = await openModelArg(o.model);
  const environments = [report.summary, `kernels on ${backend}: ${choice.summary}`];
  if (o.train.length) {
    const m = await modelFromSource(source);
    const t = { modes: o.train, batch: o.batch, seqLen: o.seqLen, steps: o.trainSteps, recompute: o.recompute };
    const memory = { microBatch: o.microBatch };
    const grpo = o.grpo ? { newTokens: o.newTokens } : null;
    const trainRows = await benchTrainSteps(source.name, m, { ...t, ...memory, grpo, kernels: choice.path });
    return { environments, rows: [], trainRows, skipped: [] };
  }
  // to infer with only: packed as it loads (engine/packed_weights.ts), unless the bench puts adapters on it
  const weights = o.weights[0];
  const load = (s: typeof source) => modelFromSource(s, { pack: o.loraRank === 0, weights });
  const row = await benchRealModel(source, load, { ...o, kernels: choice.path }, hostMemory);
  return { environments, rows: [row], trainRows: [], skipped: [] };
}

export async function benchModelCli(o: ModelBenchCli): Promise<void> {
  let result: ModelBenchFile;
  // a process per backend and, on WebGPU, per weight precision: each its own peak
  const runs = o.backends.flatMap((backend) =>
    (backend === 'webgpu' && !o.train.length ? o.weights : o.weights.slice(0, 1)).map((weights) => ({
      backend,
      weights,
    })),
  );
  if (runs.length === 1) result = await benchOne({ ...o, weights: [runs[0].weights] }, runs[0].backend);
  else {
    result = { environments: [], rows: [], trainRows: [], skipped: [] };
    const dir = mkdtempSync(join(tmpdir(), 'rl-bench-model-'));
    for (const { backend, weights } of runs) {
      const out = join(dir, `${backend}-${weights}.json`);
      const args = ['--model', o.model, '--backends', backend, '--kernels', o.kernels, '--out', out];
      args.push('--weights', weights);
      args.push('--prompt-tokens', String(o.promptTokens), '--new-tokens', String(o.newTokens));
      args.push('--lora-rank', String(o.loraRank));
      if (o.train.length)
        args.push('--train', o.train.join(','), '--batch', String(o.batch), '--seq-len', String(o.seqLen));
      args.push('--train-steps', String(o.trainSteps), '--recompute', String(o.recompute));
      args.push('--grpo', String(o.grpo), '--micro-batch', String(o.microBatch));
      const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1], ...args], { stdio: 'inherit' });
      if (r.status !== 0) {
        result.skipped.push(`${backend} ${weights}: the run failed (exit ${r.status ?? r.signal})`);
        continue;
      }
      const one = JSON.parse(readFileSync(out, 'utf8')) as ModelBenchFile;
      result.environments.push(...one.environments);
      result.rows.push(...one.rows);
      result.trainRows.push(...one.trainRows);
      result.skipped.push(...one.skipped);
    }
  }
  for (const s of result.skipped) console.log(`skipped ${s}`);
  if (result.rows.length) console.log(`\n${tableMarkdown(modelBenchTable(result.rows))}`);
  if (result.trainRows.length) console.log(`\n${tableMarkdown(trainBenchTable(result.trainRows))}`);
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, JSON.stringify(result, null, 2));
  console.log(`\nwrote ${o.out}`);
}

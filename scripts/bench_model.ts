// `npm run bench -- --model DIR|hf:owner/name[@rev]`: a real model's load and decode figures on each backend
// (src/bench/real_model.ts). Each backend runs in a process of its own, so its peak RSS is its own (the peak
// never goes down in a process); the parent prints the tables and writes the rows as JSON. With --train, the
// model's training step instead (src/bench/train_step.ts): full fine-tuning against LoRA ranks, a distillation
// step or (--grpo) a GRPO step. Each process runs the model suite (src/bench/model_suite.ts), as the bench page does.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  decodeRuns,
  emptyModelSuiteResult,
  type ModelSuiteOptions,
  type ModelSuiteResult,
  runModelSuite,
} from '../src/bench/model_suite';
import { modelSuiteTables, tableMarkdown } from '../src/bench/tables';
import type { BackendName } from '../src/engine/backend';
import { openModelArg } from '../src/engine/hf/source_node';
import { selectKernelsInNode } from '../src/engine/kernel_choice_node';
import { initNodeBackend, nodeWebGPUAvailable } from '../src/engine/node_webgpu';

export interface ModelBenchCli extends ModelSuiteOptions {
  model: string;
  backends: BackendName[];
  out: string;
}

const hostMemory = () => ({ rss: process.memoryUsage().rss, peakRss: process.resourceUsage().maxRSS * 1024 });

/** One backend (and weight precision) in this process: the model suite on Node's backend, from a folder or the
 * Hub; a backend that cannot start here is skipped with why. */
async function benchOne(o: ModelBenchCli, backend: BackendName): Promise<ModelSuiteResult> {
  const skip = (why: string) => ({ ...emptyModelSuiteResult(o.model), skipped: [`${backend}: ${why}`] });
  const why = backend === 'webgpu' ? await nodeWebGPUAvailable() : null;
  if (why) return skip(why);
  const report = await initNodeBackend(backend);
  if (report.name !== backend) return skip(report.skipped.map((s) => s.reason).join('; '));
  console.log(report.summary);
  return runModelSuite(o, {
    startBackend: async () => report,
    async selectKernels(mode) {
      const choice = await selectKernelsInNode(mode, report);
      console.log(`kernels: ${choice.summary}`);
      return choice;
    },
    openSource: () => openModelArg(o.model),
    hostMemory,
    onProgress: (p) => p.done < p.total && console.log(`  ${p.label}`),
  });
}

export async function benchModelCli(o: ModelBenchCli): Promise<void> {
  let result: ModelSuiteResult;
  // a process per backend and, on WebGPU, per weight precision: each its own peak
  const runs = o.backends.flatMap((backend) =>
    (o.train.length ? o.weights.slice(0, 1) : decodeRuns(o, backend)).map((weights) => ({ backend, weights })),
  );
  if (runs.length === 1) result = await benchOne({ ...o, weights: [runs[0].weights] }, runs[0].backend);
  else {
    result = emptyModelSuiteResult(o.model);
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
      const one = JSON.parse(readFileSync(out, 'utf8')) as ModelSuiteResult;
      result.model = one.model;
      result.environments.push(...one.environments);
      result.rows.push(...one.rows);
      result.trainRows.push(...one.trainRows);
      result.skipped.push(...one.skipped);
      result.published = one.published;
    }
  }
  for (const s of result.skipped) console.log(`skipped ${s}`);
  for (const t of modelSuiteTables(result)) console.log(`\n${tableMarkdown(t)}`);
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, JSON.stringify(result, null, 2));
  console.log(`\nwrote ${o.out}`);
}

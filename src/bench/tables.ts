// The benchmark's results as tables of text: the CLI prints them as Markdown, the bench page renders the
// same tables as HTML and copies them as Markdown. One place decides columns, units and rounding.
import { COMPARED } from './bench';
import type { ModelSuiteResult } from './model_suite';
import type { PublishedFigure } from './published';
import type { ModelBenchRow } from './real_model';
import type { SuiteResult } from './suite';
import type { TrainBenchRow } from './train_step';
import { GPU_POOL_CAP_BYTES } from '../engine/gpu_pool';
import { KERNEL_TOLERANCE, type KernelCheck } from '../engine/kernels/self_check';

export interface Table {
  title: string;
  note?: string; // one line under the title: how to read the table
  headers: string[];
  rows: string[][];
}

/** The preset, and the adapters' rank when the run trained LoRA adapters. */
const presetLabel = (x: { preset: string; lora?: number }) => (x.lora ? `${x.preset} + LoRA r${x.lora}` : x.preset);
const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');

export function resultTables(r: SuiteResult): Table[] {
  const tables: Table[] = [
    {
      title: 'Engine benchmark',
      note:
        'dispatches/layer/step: what one more decoder layer adds to a training step (forward, backward, its ' +
        'optimizer update), measured against the same model cut to one layer.',
      headers: [
        'backend',
        'preset',
        'kernels',
        'params',
        'train tok/s',
        'ms/step',
        'kernels/step',
        'dispatches/step',
        'dispatches/layer/step',
        'readbacks/step',
        'peak tensors',
        'peak MB',
        'gen tok/s',
        'kernels/token',
        'dispatches/token',
        'gen readbacks',
        'leaked',
      ],
      rows: r.rows.map((x) => [
        x.backend,
        presetLabel(x),
        x.kernels,
        String(x.params),
        f(x.train.tokensPerSecond, 0),
        f(x.train.msPerStep, 0),
        f(x.train.kernelsPerStep, 0),
        f(x.train.dispatchesPerStep, 0),
        f(x.train.dispatchesPerLayer, 0),
        f(x.train.readbacksPerStep),
        String(x.train.peakTensors),
        f(x.train.peakBytes / 2 ** 20),
        f(x.generate.tokensPerSecond, 0),
        f(x.generate.kernelsPerToken, 0),
        f(x.generate.dispatchesPerToken, 0),
        String(x.generate.readbacks),
        String(x.leakedTensors),
      ]),
    },
  ];
  for (const c of r.comparisons) {
    tables.push({
      title: `${c.backend} / ${presetLabel(c)}: stock vs fused`,
      note: 'stock/fused > 1: fused is lower; for tok/s, < 1 means fused is faster.',
      headers: ['figure', 'stock', 'fused', 'stock/fused'],
      rows: COMPARED.map(([label]) => [
        label,
        f(c.figures[label][0]),
        f(c.figures[label][1]),
        f(c.figures[label][2], 2),
      ]),
    });
  }
  if (r.firstSteps.length) {
    tables.push({
      title: 'Time to first step',
      note:
        'A fresh device: first training step (then first two generated tokens) done, each with its precompile ' +
        'included; warm step: the second one.',
      headers: [
        'backend',
        'preset',
        'kernels',
        'precompile',
        'pipelines',
        'train precompile ms',
        'first step ms',
        'warm step ms',
        'gen precompile ms',
        'first tokens ms',
      ],
      rows: r.firstSteps.map((x) => [
        x.backend,
        presetLabel(x),
        x.kernels,
        x.precompile ? 'yes' : 'no',
        String(x.pipelines),
        f(x.trainPrecompileMs, 0),
        f(x.firstStepMs, 0),
        f(x.warmStepMs, 0),
        f(x.genPrecompileMs, 0),
        f(x.firstTokensMs, 0),
      ]),
    });
  }
  if (r.submitBatches.length) {
    tables.push({
      title: 'WebGPU submit batch size',
      note: 'Dispatches recorded per queue submit (tfjs WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE; its default is 15).',
      headers: [
        'backend',
        'preset',
        'kernels',
        'submit batch',
        'ms/step',
        'train tok/s',
        'gen tok/s',
        'dispatches/step',
      ],
      rows: r.submitBatches.map((x) => [
        x.backend,
        presetLabel(x),
        x.kernels,
        String(x.submitBatch),
        f(x.train.msPerStep, 0),
        f(x.train.tokensPerSecond, 0),
        f(x.generate.tokensPerSecond, 0),
        f(x.train.dispatchesPerStep, 0),
      ]),
    });
  }
  if (r.decodeCosts.length) {
    tables.push({
      title: 'Decode cost by position',
      note:
        'Greedy decode, per generated token, in a window early and one late in the context: equal dispatches and ' +
        'close times mean no O(T) cache work.',
      headers: ['backend', 'preset', 'kernels', 'tokens', 'dispatches/token', 'kernels/token', 'ms/token'],
      rows: r.decodeCosts.flatMap((x) =>
        x.windows.map((w) => [
          x.backend,
          presetLabel(x),
          x.kernels,
          `${w.from}–${w.to}`,
          f(w.dispatchesPerToken, 0),
          f(w.kernelsPerToken, 0),
          f(w.msPerToken),
        ]),
      ),
    });
  }
  if (r.poolTrims.length) {
    tables.push({
      title: 'WebGPU buffer pool trim',
      note:
        `Training steps of changing length (as GRPO's), alternating rounds untrimmed and trimmed after every step ` +
        `(the worst case; runs trim only past ${GPU_POOL_CAP_BYTES / 2 ** 20} MB); pool: free bytes kept at the end.`,
      headers: [
        'backend',
        'preset',
        'kernels',
        'lengths',
        'ms/step untrimmed',
        'ms/step trimmed',
        'trimmed/untrimmed',
        'pool MB untrimmed',
        'pool MB trimmed',
      ],
      rows: r.poolTrims.map((x) => [
        x.backend,
        presetLabel(x),
        x.kernels,
        x.lengths.join(','),
        f(x.msPerStepUntrimmed, 0),
        f(x.msPerStepTrimmed, 0),
        f(x.ratio, 2),
        f(x.poolUntrimmedMB),
        f(x.poolTrimmedMB),
      ]),
    });
  }
  return tables;
}

export function tableMarkdown(t: Table): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    `### ${t.title}`,
    ...(t.note ? ['', t.note] : []),
    '',
    line(t.headers),
    line(t.headers.map(() => '---')),
    ...t.rows.map(line),
  ].join('\n');
}

/** The whole result as Markdown: where it ran, then every table. */
export function resultMarkdown(r: SuiteResult): string {
  const head = [
    `Rubric Lab engine benchmark, ${r.date}, tfjs ${r.tfjs}`,
    ...r.environments.map((e) => `- ${e}`),
    ...r.kernels.map((k) => `- kernels on ${k}`),
    ...r.skipped.map((s) => `- skipped ${s}`),
  ];
  return [head.join('\n'), ...resultTables(r).map(tableMarkdown)].join('\n\n');
}

/** The kernel self-check as a table: one row per fused kernel, its largest differences from stock. */
export function kernelCheckTable(checks: KernelCheck[], device: string): Table {
  const e = (x: number | null) => (x === null ? '–' : Number.isFinite(x) ? x.toExponential(1) : 'NaN');
  return {
    title: 'Kernel check: fused against stock',
    note: `${device}. Max |fused − stock| over outputs and over input gradients; pass ≤ ${KERNEL_TOLERANCE}.`,
    headers: ['kernel', 'shapes', 'forward', 'gradients', 'result'],
    rows: checks.map((c) => [c.kernel, c.shapes, e(c.forward), e(c.gradient), c.pass ? 'pass' : 'FAIL']),
  };
}

/** Whole MiB, but two decimals below 10 MiB (a test fixture's weights are a fraction of one). */
const MiB = (bytes: number | null) => (bytes === null ? '-' : (bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 2 : 0));

/** `npm run bench -- --model --train`: one row per backend and setting, memory in MiB. */
export function trainBenchTable(rows: TrainBenchRow[]): Table {
  const r0 = rows[0];
  return {
    title:
      `${r0?.model ?? 'model'}: a ${r0?.stage === 'grpo' ? 'GRPO' : 'training'} step, full fine-tuning ` +
      'against LoRA',
    note:
      `${r0 ? (r0.params / 1e6).toFixed(0) : '?'} M parameters; ${
        r0?.stage === 'grpo'
          ? `a GRPO step (sample, score, loss with the KL to π_ref, AdamW) of G = ${r0?.batch} judgements`
          : 'a distillation step (NLL, backward, clip, AdamW)'
      } on ${r0?.batch} × ${r0?.seqLen} tokens${r0?.recompute ? ', blocks recomputed' : ''}; LoRA on every ` +
      "projection. At their peak, weights included: tensors MiB, tfjs's count of live tensor bytes (a view " +
      "counted again); in use MiB, WebGPU's buffers in use; held MiB, its buffers allocated, the pool's " +
      'included. Plan MiB: the training memory plan for the same step. ms/step: median after a warm-up step.',
    headers: ['backend', 'kernels', 'training', 'trained', 'tensors MiB', 'in use MiB', 'held MiB', 'plan MiB'].concat([
      'first step s',
      'ms/step',
      'dispatches/layer',
      'kernels/layer',
    ]),
    rows: rows.map((r) => [
      r.backend,
      r.kernels,
      r.mode,
      r.trained.toLocaleString('en-US'),
      MiB(r.peakTensorBytes),
      MiB(r.peakDeviceBytes),
      MiB(r.heldDeviceBytes),
      MiB(r.plannedBytes),
      f(r.firstStepSeconds),
      f(r.msPerStep, 0),
      r.backend === 'webgpu' ? f(r.dispatchesPerLayer, 0) : '-',
      f(r.kernelsPerLayer, 0),
    ]),
  };
}

/** `npm run bench -- --model`: one row per backend, memory in MiB (the host's above the runtime alone). */
export function modelBenchTable(rows: ModelBenchRow[]): Table {
  const r0 = rows[0];
  return {
    title: `${r0?.model ?? 'model'}${r0?.lora ? ` + LoRA r${r0.lora}` : ''}: load and decode`,
    note:
      `${r0?.architecture}, ${r0 ? (r0.params / 1e6).toFixed(0) : '?'} M parameters; greedy, batch 1, ` +
      `${r0?.promptTokens}-token prompt, ${r0?.newTokens} new tokens, one readback. Host MiB: peak RSS ` +
      "above the process before loading. Tensors MiB: tfjs's count of live tensor bytes at their peak (a view " +
      "counted again); in use MiB: WebGPU's buffers in use at their peak; GPU pool MiB: its buffers allocated " +
      'after the run, the pool included. Weights GB/s: the bytes of the weights as held, read once a token.',
    headers: [
      'backend',
      'kernels',
      'weights',
      'stored MiB',
      'f32 MiB',
      'weights MiB',
      'load s',
      'host MiB',
      'tensors MiB',
      'in use MiB',
      'GPU pool MiB',
      'first gen s',
      'prefill tok/s',
      'decode tok/s',
      'weights GB/s',
      'dispatches/token',
      'kernels/token',
    ],
    rows: rows.map((r) => [
      r.backend,
      r.kernels,
      r.weights,
      MiB(r.weightBytesStored),
      MiB(r.weightBytesF32),
      MiB(r.weightBytesOnDevice),
      f(r.loadSeconds),
      r.peakRss === null || r.rssBeforeLoad === null ? '-' : MiB(r.peakRss - r.rssBeforeLoad),
      MiB(r.peakTensorBytes),
      MiB(r.peakDeviceBytes ?? null),
      MiB(r.gpuPoolBytes),
      f(r.firstGenerationSeconds),
      f(r.prefillTokensPerSecond, 2),
      f(r.decodeTokensPerSecond, 2),
      f(r.weightGBPerSecond, 3),
      r.backend === 'webgpu' ? f(r.dispatchesPerToken, 0) : '-',
      f(r.kernelsPerToken, 0),
    ]),
  };
}

/** Other runtimes' published decode figures for the model the checkpoint has the shape of: theirs, as they
 * state them, never measured here. */
export function publishedTable(figures: PublishedFigure[]): Table {
  return {
    title: `${figures[0]?.model ?? 'model'}: published figures of other runtimes (theirs, not measured here)`,
    note:
      'As each source states them, on its own hardware and weights; a random checkpoint of the same shape reads ' +
      'and computes the same bytes per token as the real model.',
    headers: ['runtime', 'weights', 'device', 'decode tok/s', 'GPU memory MB', 'source'],
    rows: figures.map((p) => [p.runtime, p.weights, p.device, p.decode, p.memoryMB, p.source]),
  };
}

/** A real model's bench as tables: decode (f16 beside f32), training steps, and the published figures. */
export function modelSuiteTables(r: ModelSuiteResult): Table[] {
  const tables: Table[] = [];
  if (r.rows.length) tables.push(modelBenchTable(r.rows));
  if (r.trainRows.length) tables.push(trainBenchTable(r.trainRows));
  if (r.published.length) tables.push(publishedTable(r.published));
  return tables;
}

export function modelSuiteMarkdown(r: ModelSuiteResult): string {
  const head = [
    `Rubric Lab model benchmark, ${r.model}, ${r.date}`,
    ...r.environments.map((e) => `- ${e}`),
    ...r.skipped.map((s) => `- skipped ${s}`),
  ];
  return [head.join('\n'), ...modelSuiteTables(r).map(tableMarkdown)].join('\n\n');
}

// `npm run bench -- --reductions`: the fused kernels that reduce across rows, with subgroup reductions and
// without, on SmolLM2-135M's shapes (src/bench/reductions.ts). WebGPU only; prints one table (ms per call on
// each path, their ratio, dispatches on each) and writes the rows as JSON. On SwiftShader (subgroups of 4, on
// the CPU) the times say nothing about a GPU: there it is a run of both paths and a count of their dispatches.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { benchReductions, type ReductionRow } from '../src/bench/reductions';
import { tableMarkdown } from '../src/bench/tables';
import { SMOLLM2_135M_INSTRUCT as S } from '../src/engine/hf/known_configs';
import { initNodeBackend, nodeWebGPUAvailable } from '../src/engine/node_webgpu';

export async function benchReductionsCli(o: {
  rows: number;
  tokens: number;
  context: number;
  repeats: number;
  out: string;
}): Promise<void> {
  const why = await nodeWebGPUAvailable();
  if (why) throw new Error(`--reductions runs on WebGPU: ${why}`);
  const report = await initNodeBackend('webgpu');
  console.log(report.summary);
  const shape = {
    model: 'SmolLM2-135M',
    hidden: S.hidden_size,
    heads: S.num_attention_heads,
    kvHeads: S.num_key_value_heads,
    headDim: S.hidden_size / S.num_attention_heads,
    vocab: S.vocab_size,
  };
  const rows = await benchReductions(shape, o);
  const by = (r: ReductionRow, on: boolean) => rows.find((x) => x.kernel === r.kernel && x.subgroups === on);
  const ms = (r: ReductionRow | undefined) => (r ? r.msPerCall.toFixed(3) : '—');
  console.log(
    tableMarkdown({
      title: `reductions with subgroups and without, ${shape.model} shapes, ${o.repeats} calls each`,
      headers: ['kernel', 'shapes', 'ms with subgroups', 'ms without', 'without / with', 'dispatches (with, without)'],
      rows: rows
        .filter((r) => !r.subgroups)
        .map((r) => {
          const w = by(r, true);
          return [
            r.kernel,
            r.shapes,
            ms(w),
            ms(r),
            w ? (r.msPerCall / w.msPerCall).toFixed(2) : '—',
            `${w ? w.dispatches : '—'}, ${r.dispatches}`,
          ];
        }),
    }),
  );
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, `${JSON.stringify({ environment: report.summary, shape, ...o, rows }, null, 2)}\n`);
  console.log(`wrote ${o.out}`);
}

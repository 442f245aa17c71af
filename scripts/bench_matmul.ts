// `npm run bench -- --f16-matmul`: decode's matmuls, f32 weights against half-precision words, on the layer
// shapes of SmolLM2-135M and Qwen2.5-0.5B, for 1 and 4 rows (src/bench/decode_matmul.ts). WebGPU only; prints
// one table (ms per product, GB/s of weights read, dispatches) and writes the rows as JSON.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { benchDecodeMatmul, layerShapes, type MatmulRow } from '../src/bench/decode_matmul';
import { tableMarkdown } from '../src/bench/tables';
import { QWEN25_05B_INSTRUCT, SMOLLM2_135M_INSTRUCT } from '../src/engine/hf/known_configs';
import { initNodeBackend, nodeWebGPUAvailable } from '../src/engine/node_webgpu';

type Known = typeof SMOLLM2_135M_INSTRUCT | typeof QWEN25_05B_INSTRUCT;
const shapesOf = (name: string, c: Known) => {
  const D = c.hidden_size / c.num_attention_heads;
  return layerShapes(name, c.hidden_size, c.intermediate_size, c.hidden_size, D * c.num_key_value_heads);
};

export async function benchMatmulCli(o: { rows: number[]; repeats: number; out: string }): Promise<void> {
  const why = await nodeWebGPUAvailable();
  if (why) throw new Error(`--f16-matmul runs on WebGPU: ${why}`);
  const report = await initNodeBackend('webgpu');
  console.log(report.summary);
  const rows: MatmulRow[] = [];
  for (const shape of [
    ...shapesOf('SmolLM2-135M', SMOLLM2_135M_INSTRUCT),
    ...shapesOf('Qwen2.5-0.5B', QWEN25_05B_INSTRUCT),
  ])
    for (const n of o.rows) rows.push(...(await benchDecodeMatmul(shape, n, o.repeats)));
  console.log(
    tableMarkdown({
      title: "decode's matmuls: f32 weights against half-precision words",
      headers: ['shape [N, K]', 'rows', 'weights', 'MB read', 'ms / product', 'GB/s', 'dispatches'],
      rows: rows.map((r) => [
        `${r.shape.name} [${r.shape.n}, ${r.shape.k}]`,
        String(r.rows),
        r.weights,
        (r.weightBytes / 1e6).toFixed(2),
        r.msPerProduct.toFixed(3),
        r.gbPerSecond.toFixed(2),
        String(r.dispatches),
      ]),
    }),
  );
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, `${JSON.stringify({ environment: report.summary, rows }, null, 2)}\n`);
  console.log(`wrote ${o.out}`);
}

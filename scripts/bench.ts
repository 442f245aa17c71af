// `npm run bench` — the engine benchmark in Node, on WASM and on WebGPU (Dawn + SwiftShader here, or a
// real GPU) when available. Prints Markdown tables and writes JSON (bench-results/engine.json). The
// browser runs the same suite on bench.html.
//   npm run bench -- --backends wasm,webgpu --presets nano,tiny --steps 3 --out bench-results/engine.json
//   npm run bench -- --backends webgpu --presets nano --steps 1 --compare
//   npm run bench -- --backends webgpu --presets nano --steps 2 --compare --first-step --submit-batch 1,15,64
// --decode-cost --pool-trim
// --compare runs each backend and preset twice in this process, stock tfjs ops then the fused WebGPU
// kernels (engine/kernels/fused.ts), same shapes and seeds, and prints each figure for both with the
// ratio stock/fused; the JSON gets both rows and a `comparisons` list. The fused kernels are WGSL programs,
// so on other backends only the stock run is made.
// --first-step times a fresh device's first training step and first tokens, without and with the shader
// precompile (engine/precompile.ts); --submit-batch times the fused path (stock without --compare) at
// these WebGPU submit batch sizes; --decode-cost measures a token early and late in the context;
// --pool-trim times steps of changing length with the WebGPU buffer pool trimmed after each, against untrimmed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { runSuite } from '../src/bench/suite';
import { resultMarkdown } from '../src/bench/tables';
import type { BackendName } from '../src/engine/backend';
import type { PresetName } from '../src/engine/config';
import { initNodeBackend, nodeWebGPUAvailable } from '../src/engine/node_webgpu';
import { swiftShaderEnv } from './swiftshader.mjs';

// Dawn finds SwiftShader's Vulkan loader through LD_LIBRARY_PATH, which is read when a process starts:
// without a GPU driver set up, run this script again with it (swiftShaderEnv is empty the second time).
const driverEnv = swiftShaderEnv();
if (Object.keys(driverEnv).length > 0) {
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...driverEnv },
  });
  process.exit(r.status ?? 1);
}

function flag(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

const out = flag('out', 'bench-results/engine.json');
const result = await runSuite(
  {
    backends: flag('backends', 'wasm,webgpu').split(',') as BackendName[],
    // small takes minutes per step on SwiftShader/2 cores; ask for it explicitly with --presets.
    presets: flag('presets', 'nano,tiny').split(',') as PresetName[],
    steps: Number(flag('steps', '3')),
    compare: process.argv.includes('--compare'),
    firstStep: process.argv.includes('--first-step'),
    submitBatches: flag('submit-batch', '').split(',').filter(Boolean).map(Number),
    decodeCost: process.argv.includes('--decode-cost'),
    poolTrim: process.argv.includes('--pool-trim'),
  },
  {
    async startBackend(b) {
      const why = b === 'webgpu' ? await nodeWebGPUAvailable() : null;
      if (why) throw new Error(why);
      const report = await initNodeBackend(b);
      if (report.name !== b) throw new Error(report.skipped.map((s) => s.reason).join('; '));
      console.log(report.summary);
      return report.summary;
    },
    onProgress: (p) => {
      if (p.done < p.total) console.log(`  [${p.done + 1}/${p.total}] ${p.label}`);
    },
  },
);
for (const s of result.skipped) console.log(`skipped ${s}`);
console.log(`\n${resultMarkdown(result)}`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2));
console.log(`\nwrote ${out}`);
process.exit(0);

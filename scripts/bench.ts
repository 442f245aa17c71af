// `npm run bench` — the engine benchmark in Node, on WASM and on WebGPU (Dawn + SwiftShader here, or a
// real GPU) when available. Prints a table and writes JSON (bench-results/engine.json).
//   npm run bench -- --backends wasm,webgpu --presets nano,tiny --steps 3 --out bench-results/engine.json
//   npm run bench -- --backends webgpu --presets nano --steps 1 --compare
// --compare runs each backend and preset twice in this process, stock tfjs ops then the fused WebGPU
// kernels (engine/kernels/fused.ts), same shapes and seeds, and prints each figure for both with the
// ratio stock/fused; the JSON gets both rows and a `compare` list. The fused kernels are WGSL programs,
// so on other backends only the stock run is made.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { benchPreset, compareRows, COMPARED, type BenchComparison, type BenchRow, type KernelPath } from '../src/bench/bench';
import type { BackendName } from '../src/engine/backend';
import type { PresetName } from '../src/engine/config';
import { initNodeBackend, nodeWebGPUAvailable } from '../src/engine/node_webgpu';
import { swiftShaderEnv } from './swiftshader.mjs';

// Dawn finds SwiftShader's Vulkan loader through LD_LIBRARY_PATH, which is read when a process starts:
// without a GPU driver set up, run this script again with it (swiftShaderEnv is empty the second time).
const driverEnv = swiftShaderEnv();
if (Object.keys(driverEnv).length > 0) {
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, ...driverEnv } });
  process.exit(r.status ?? 1);
}

function flag(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

const backends = flag('backends', 'wasm,webgpu').split(',') as BackendName[];
// small takes minutes per step on SwiftShader/2 cores; ask for it explicitly with --presets.
const presets = flag('presets', 'nano,tiny').split(',') as PresetName[];
const steps = Number(flag('steps', '3'));
const out = flag('out', 'bench-results/engine.json');
const compare = process.argv.includes('--compare');

const rows: BenchRow[] = [];
const comparisons: BenchComparison[] = [];
for (const b of backends) {
  if (b === 'webgpu') {
    const why = await nodeWebGPUAvailable();
    if (why) { console.log(`webgpu: skipped (${why})`); continue; }
  }
  const report = await initNodeBackend(b);
  if (report.name !== b) { console.log(`${b}: skipped (${report.skipped.map((s) => s.reason).join('; ')})`); continue; }
  console.log(report.summary);
  const paths: KernelPath[] = compare && b === 'webgpu' ? ['stock', 'fused'] : ['stock'];
  if (compare && b !== 'webgpu') console.log(`  ${b}: fused kernels are WebGPU programs; stock run only`);
  for (const preset of presets) {
    const pair: BenchRow[] = [];
    for (const kernels of paths) {
      process.stdout.write(`  ${b}/${preset}/${kernels}... `);
      const r = await benchPreset({ preset, trainSteps: steps, batchSize: 8, seqLen: 64, genBatch: 8, promptLen: 16, genTokens: 32, kernels });
      rows.push(r);
      pair.push(r);
      console.log(`${r.train.msPerStep.toFixed(0)} ms/step`);
    }
    if (pair.length === 2) comparisons.push(compareRows(pair[0], pair[1]));
  }
}

const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
console.log('\n| backend | preset | kernels | params | train tok/s | ms/step | kernels/step | dispatches/step | dispatches/layer/step | readbacks/step | peak tensors | peak MB | gen tok/s | kernels/token | dispatches/token | gen readbacks | leaked |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.backend} | ${r.preset} | ${r.kernels} | ${r.params} | ${f(r.train.tokensPerSecond, 0)} | ${f(r.train.msPerStep, 0)} | ${f(r.train.kernelsPerStep, 0)} | ${f(r.train.dispatchesPerStep, 0)} | ${f(r.train.dispatchesPerLayer, 0)} | ${f(r.train.readbacksPerStep)} | ${r.train.peakTensors} | ${f(r.train.peakBytes / 2 ** 20)} | ${f(r.generate.tokensPerSecond, 0)} | ${f(r.generate.kernelsPerToken, 0)} | ${f(r.generate.dispatchesPerToken, 0)} | ${r.generate.readbacks} | ${r.leakedTensors} |`);
}
console.log('\ndispatches/layer/step: what one more decoder layer adds to a training step (forward, backward, its optimizer update), measured against the same model cut to one layer; the rest is fixed dispatches/step.');
for (const c of comparisons) {
  console.log(`\n${c.backend} / ${c.preset}: stock vs fused (stock/fused > 1: fused is lower; for tok/s, < 1 means fused is faster)`);
  console.log('| figure | stock | fused | stock/fused |');
  console.log('|---|---|---|---|');
  for (const [label] of COMPARED) {
    const [s, fu, ratio] = c.figures[label];
    console.log(`| ${label} | ${f(s)} | ${f(fu)} | ${f(ratio, 2)} |`);
  }
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), tfjs: tf.version.tfjs, rows, ...(compare ? { compare: comparisons } : {}) }, null, 2));
console.log(`\nwrote ${out}`);
process.exit(0);

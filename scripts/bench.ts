// `npm run bench` — the engine benchmark in Node, on WASM and on WebGPU (Dawn + SwiftShader here, or a
// real GPU) when available. Prints a table and writes JSON (bench-results/engine.json).
//   npm run bench -- --backends wasm,webgpu --presets nano,tiny --steps 3 --out bench-results/engine.json
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { benchPreset, type BenchRow } from '../src/bench/bench';
import type { BackendName } from '../src/engine/backend';
import type { PresetName } from '../src/engine/config';
import { initNodeBackend, nodeWebGPUAvailable } from '../src/engine/node_webgpu';

function flag(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

const backends = flag('backends', 'wasm,webgpu').split(',') as BackendName[];
// small takes minutes per step on SwiftShader/2 cores; ask for it explicitly with --presets.
const presets = flag('presets', 'nano,tiny').split(',') as PresetName[];
const steps = Number(flag('steps', '3'));
const out = flag('out', 'bench-results/engine.json');

const rows: BenchRow[] = [];
for (const b of backends) {
  if (b === 'webgpu') {
    const why = await nodeWebGPUAvailable();
    if (why) { console.log(`webgpu: skipped (${why})`); continue; }
  }
  const report = await initNodeBackend(b);
  if (report.name !== b) { console.log(`${b}: skipped (${report.skipped.map((s) => s.reason).join('; ')})`); continue; }
  console.log(report.summary);
  for (const preset of presets) {
    process.stdout.write(`  ${b}/${preset}... `);
    const r = await benchPreset({ preset, trainSteps: steps, batchSize: 8, seqLen: 64, genBatch: 8, promptLen: 16, genTokens: 32 });
    rows.push(r);
    console.log(`${r.train.msPerStep.toFixed(0)} ms/step`);
  }
}

const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
console.log('\n| backend | preset | params | train tok/s | ms/step | kernels/step | dispatches/step | readbacks/step | peak tensors | peak MB | gen tok/s | kernels/token | dispatches/token | gen readbacks | leaked |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.backend} | ${r.preset} | ${r.params} | ${f(r.train.tokensPerSecond, 0)} | ${f(r.train.msPerStep, 0)} | ${f(r.train.kernelsPerStep, 0)} | ${f(r.train.dispatchesPerStep, 0)} | ${f(r.train.readbacksPerStep)} | ${r.train.peakTensors} | ${f(r.train.peakBytes / 2 ** 20)} | ${f(r.generate.tokensPerSecond, 0)} | ${f(r.generate.kernelsPerToken, 0)} | ${f(r.generate.dispatchesPerToken, 0)} | ${r.generate.readbacks} | ${r.leakedTensors} |`);
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), tfjs: tf.version.tfjs, rows }, null, 2));
console.log(`\nwrote ${out}`);
process.exit(0);

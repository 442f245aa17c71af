#!/usr/bin/env node
// `npm test`: format and lint (Biome, and no line over 120 characters), the type check, unit tests (Vitest,
// Node), then e2e tests (Playwright, system Chromium with WebGPU on SwiftShader). Ends with one line
// `N passed, N failed` summing unit and e2e tests (a failed lint or type check counts as one failure each);
// exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, mkdirSync } from 'node:fs';
import { ensureChromium } from './find-chromium.mjs';
import { swiftShaderEnv } from './swiftshader.mjs';

const out = 'test-results';
mkdirSync(out, { recursive: true });
const chromium = ensureChromium({ install: true });
const env = { ...process.env, ...swiftShaderEnv(), ...(chromium ? { CHROMIUM_PATH: chromium } : {}) };

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  return r.status ?? 1;
}
function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

const lintCode = run('npx', ['biome', 'ci', '.']) || run('node', ['scripts/line-length.mjs']);
const lintLine = lintCode === 0 ? 'lint: ok' : 'lint: Biome or the line-length check failed (counted as 1 failure)';
const typeCode = run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
const typeLine = typeCode === 0 ? 'types: ok' : 'types: tsc reported errors (counted as 1 failure)';

const unitJson = `${out}/unit.json`;
rmSync(unitJson, { force: true });
const unitCode = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${unitJson}`]);
const unit = readJson(unitJson);
let passed = unit?.numPassedTests ?? 0;
let failed = unit ? unit.numFailedTests : 1;
if (unit && unitCode !== 0 && failed === 0) failed = 1; // a crash outside any test still fails the run
if (typeCode !== 0) failed += 1;
if (lintCode !== 0) failed += 1;
const skipped = unit?.numPendingTests ?? 0;

let e2eLine = 'e2e: not run (no Chromium)';
if (chromium) {
  const e2eJson = `${out}/e2e.json`;
  rmSync(e2eJson, { force: true });
  const code = run('npx', ['playwright', 'test']);
  const e2e = readJson(e2eJson);
  const s = e2e?.stats;
  if (s) {
    passed += s.expected + s.flaky;
    failed += s.unexpected;
    e2eLine = `e2e: ${s.expected + s.flaky} passed, ${s.unexpected} failed, ${s.skipped} skipped`;
  } else {
    failed += 1;
    e2eLine = `e2e: Playwright exited with code ${code} and wrote no report`;
  }
} else {
  failed += 1;
}
console.log(`\n${lintLine}`);
console.log(typeLine);
console.log(`unit: ${unit?.numPassedTests ?? 0} passed, ${unit?.numFailedTests ?? '?'} failed, ${skipped} skipped`);
console.log(e2eLine);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

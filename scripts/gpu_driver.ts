// A Node CLI that is to run on WebGPU where no GPU driver is set up (no adapter in this process) runs itself
// again with SwiftShader's Vulkan driver in its environment (scripts/swiftshader.mjs): Dawn finds the driver
// through LD_LIBRARY_PATH, which is read only when a process starts. The second run has the driver set, so
// it never runs a third; a machine with a GPU, or one without SwiftShader, keeps the first.
import { spawnSync } from 'node:child_process';
import { nodeWebGPUAvailable } from '../src/engine/node_webgpu';
import { swiftShaderEnv } from './swiftshader.mjs';

/** When `webgpu` is wanted and only SwiftShader can give it, runs this script again with it and exits with
 * that run's status; otherwise returns, doing nothing. */
export async function relaunchForWebGPU(webgpu: boolean): Promise<void> {
  if (!webgpu) return;
  const driverEnv = swiftShaderEnv();
  if (Object.keys(driverEnv).length === 0 || (await nodeWebGPUAvailable()) === null) return;
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...driverEnv },
  });
  process.exit(r.status ?? 1);
}

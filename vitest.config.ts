// Unit tests run in Node. WebGPU tests use the `webgpu` npm package (Dawn) on Chromium's SwiftShader
// Vulkan driver; the loader must be findable before any worker process starts, so the environment is set
// here, in the parent process, and inherited by Vitest's forks.
import { defineConfig } from 'vitest/config';
import { swiftShaderEnv } from './scripts/swiftshader.mjs';

Object.assign(process.env, swiftShaderEnv());

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
    pool: 'forks',
    // two files at once even on two cores (Vitest's default leaves one core idle): most files wait on
    // SwiftShader's threads, child processes or disk as much as on the CPU
    maxWorkers: 2,
    testTimeout: 240_000,
    hookTimeout: 240_000,
  },
});

// e2e tests in the system Chromium with WebGPU on SwiftShader (no browser downloads). The dev server
// is started by Playwright (a production build, see webServer). CHROMIUM_PATH is set by scripts/test.mjs (or by you).
import { defineConfig } from '@playwright/test';
import { findChromium } from './scripts/find-chromium.mjs';

// E2E_PORT lets several e2e runs share a machine (each starts its own dev server).
const PORT = Number(process.env.E2E_PORT ?? 5179);
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export default defineConfig({
  testDir: 'e2e',
  timeout: 240_000,
  expect: { timeout: 60_000 },
  workers: 1,
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  outputDir: 'test-results/e2e-artifacts',
  use: {
    baseURL: `http://localhost:${PORT}`,
    screenshot: 'on',
    launchOptions: { executablePath: findChromium() ?? undefined, args: CHROMIUM_ARGS },
  },
  // A production build served by `vite preview`: what users get, and no file watcher to reload the page
  // mid-test when sources change. Each port builds into its own folder, so parallel runs do not clash.
  webServer: {
    command:
      `npx vite build --logLevel warn --outDir .e2e-dist/${PORT} && npx vite preview --outDir .e2e-dist/${PORT} ` +
      `--port ${PORT} --strictPort`,
    port: PORT,
    reuseExistingServer: false,
    timeout: 240_000,
  },
});

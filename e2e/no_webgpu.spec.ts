// Without WebGPU (Chromium launched without the flags that enable it here, so requestAdapter() finds no
// adapter) the page names the reason, falls back to WASM, and training still runs.
import { expect, test } from '@playwright/test';
import { findChromium } from '../scripts/find-chromium.mjs';
import { watchConsole } from './helpers';

test.use({
  launchOptions: {
    executablePath: findChromium() ?? undefined,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  },
});

test('without WebGPU the notice names the reason and training still runs on WASM', async ({ page }) => {
  test.setTimeout(240_000);
  const errors = watchConsole(page);
  await page.goto('/');
  await expect(page.getByTestId('backend-name')).toHaveText('wasm', { timeout: 60_000 });
  await expect(page.getByTestId('no-webgpu-notice')).toContainText('requestAdapter() returned no adapter');
  await page.getByLabel('recipe preset').selectOption('quick');
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect
    .poll(async () => Number(await page.getByTestId('chart-SFT loss').getAttribute('data-points')), {
      timeout: 120_000,
    })
    .toBeGreaterThan(1);
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('stopped', { timeout: 60_000 });
  expect(errors).toEqual([]);
});

// The backend chosen by measurement, in real Chromium whose WebGPU is SwiftShader (a software adapter): a
// first visit times WASM and WebGPU on the default recipe's model and picks WASM (WebGPU is stopped at its
// budget or measured slower), says why in the Engine panel and the notice, and shows the run's estimated
// duration before Start. A reload takes the cached times. The override (Engine panel) starts the page again
// on WebGPU and the estimate then names WASM as the faster backend. No console errors.
import { expect, test } from '@playwright/test';
import { watchConsole } from './helpers';

const ESTIMATE = /^Estimated time on WASM: ~\d+ (min|s|h \d+ min) \(distillation .*, GRPO .*\)/;

test('picks WASM over SwiftShader by measurement, shows the estimate before Start, honours the override', async ({
  page,
}) => {
  test.setTimeout(420_000);
  const errors = watchConsole(page);
  await page.goto('/');
  await expect(page.getByTestId('backend-probe')).toContainText('measuring', { timeout: 60_000 });
  await expect(page.getByTestId('backend-name')).toHaveText('wasm', { timeout: 240_000 });
  const choice = page.getByTestId('backend-choice');
  await expect(choice).toContainText(/^Backend: WASM: the fastest measured on this device, the run ~/);
  await expect(choice).not.toContainText('(cached)');
  const rows = page.getByTestId('backend-time-row');
  await expect(rows).toHaveCount(3);
  await expect(rows.filter({ hasText: 'WASM' })).toContainText(/\d+ ms/);
  // WebGPU on SwiftShader: stopped at its budget, or measured and slower; either way with its reason or times
  await expect(rows.filter({ hasText: 'WebGPU (stock ops)' })).toContainText(/stopped after|\d+(\.\d)? (ms|s)/);
  await expect(page.getByTestId('no-webgpu-notice')).toContainText('WASM: the fastest measured on this device');

  // before Start: the run's estimate on the chosen backend, phase by phase
  await expect(page.getByRole('button', { name: 'Start', exact: true })).toBeEnabled();
  await expect(page.getByTestId('run-estimate')).toHaveText(ESTIMATE);
  await expect(page.getByTestId('run-estimate-alternative')).toHaveCount(0);
  const estimate = await page.getByTestId('run-estimate').textContent();
  console.log(`estimate before Start: ${estimate}`);
  await page.getByTestId('backend-panel').screenshot({ path: test.info().outputPath('backend-choice.png') });

  // a new start on this device: the cached times, no probe
  await page.reload();
  await expect(page.getByTestId('backend-name')).toHaveText('wasm', { timeout: 60_000 });
  await expect(choice).toContainText('(cached)');
  await expect(page.getByTestId('run-estimate')).toHaveText(estimate ?? '');

  // the override starts the page again on WebGPU; the estimate names WASM as the faster backend
  await page.getByLabel('backend override').selectOption('webgpu');
  await expect(page).toHaveURL(/\?backend=webgpu/);
  await expect(page.getByTestId('backend-name')).toHaveText('webgpu', { timeout: 60_000 });
  await expect(choice).toContainText(/^Backend: WEBGPU, as chosen \(override\)/);
  await expect(page.getByTestId('run-estimate-alternative')).toContainText(/on WASM: ~\d+/);
  expect(errors).toEqual([]);
});

// The home page in real Chromium with WebGPU on SwiftShader: the backend is reported, the smoke train
// lowers the loss, and nothing is logged as a console error.
import { expect, test } from '@playwright/test';

test('home page reports WebGPU and the smoke train lowers the loss', async ({ page }, info) => {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto('/');
  await expect(page.getByTestId('backend-name')).toHaveText('webgpu');
  await page.getByTestId('smoke-start').click();
  await expect(page.getByTestId('smoke-done')).toBeVisible({ timeout: 200_000 });

  const status = await page.getByTestId('smoke-status').textContent();
  const m = /loss ([\d.]+) \(from ([\d.]+)\)/.exec(status ?? '');
  expect(m, `status line: ${status}`).not.toBeNull();
  const [last, first] = [Number(m![1]), Number(m![2])];
  expect(last).toBeLessThan(first * 0.8); // 40 nano steps on a repeated text: at least 20% lower
  await page.screenshot({ path: info.outputPath('home.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('with the WASM backend forced, the notice shows and the smoke train still runs', async ({ page }) => {
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('backend-name')).toHaveText('wasm');
  await expect(page.getByTestId('no-webgpu-notice')).toBeVisible();
  await page.getByTestId('smoke-start').click();
  await expect(page.getByTestId('smoke-done')).toBeVisible({ timeout: 200_000 });
  await expect(page.getByTestId('smoke-status')).toContainText('step 40/40');
});

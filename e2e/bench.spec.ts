// The bench page in real Chromium with WebGPU on SwiftShader: nano, one timed step, WebGPU only (from the
// URL query); a result row for webgpu appears with GPU dispatches counted, and nothing is logged as a
// console error.
import { expect, test } from '@playwright/test';
import { watchConsole } from './helpers';

test('the bench page runs nano on WebGPU and reports dispatches per step', async ({ page }) => {
  test.setTimeout(300_000);
  const errors = watchConsole(page);
  await page.goto('/bench.html?backends=webgpu&presets=nano&steps=1&compare=0');
  await expect(page.getByLabel('backend webgpu')).toBeChecked();
  await expect(page.getByLabel('backend wasm')).not.toBeChecked();
  await page.getByRole('button', { name: 'Run benchmark' }).click();
  await expect(page.getByTestId('bench-progress')).toBeVisible();
  const table = page.getByTestId('bench-table').filter({ hasText: 'Engine benchmark' });
  await expect(table).toBeVisible({ timeout: 240_000 });
  const headers = await table.locator('th').allTextContents();
  const row = table.getByTestId('bench-row').filter({ hasText: 'webgpu' });
  await expect(row).toHaveCount(1);
  const cells = await row.locator('td').allTextContents();
  expect(cells[headers.indexOf('backend')]).toBe('webgpu');
  expect(cells[headers.indexOf('preset')]).toBe('nano');
  expect(Number(cells[headers.indexOf('dispatches/step')])).toBeGreaterThan(0);
  await expect(page.getByRole('button', { name: 'Copy as Markdown' })).toBeEnabled();
  await page.screenshot({ path: test.info().outputPath('bench.png'), fullPage: true });
  expect(errors).toEqual([]);
});

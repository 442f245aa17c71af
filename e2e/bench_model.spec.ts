// The bench page's real model in real Chromium with WebGPU on SwiftShader: with the cache empty it says where to
// load one; the tiny test model, loaded from a folder on the lab's Models page, is listed there; run with its
// defaults (half-precision weights beside float32) on the fused kernels, it gives one decode row per precision,
// f16's weights about half f32's at the same dispatches per token, names the kernels in force, and logs no
// console error. A tiny model has no published figures beside it.
import { expect, test } from '@playwright/test';
import { MEASURED, tinyModelFixture, watchConsole } from './helpers';

let folder: string;
let stop: () => Promise<void>;

test.beforeAll(async () => {
  ({ folder, stop } = await tinyModelFixture('test-org/tiny-bench'));
});
test.afterAll(() => stop());

test('the bench page measures a cached model with f16 and f32 weights side by side', async ({ page }) => {
  test.setTimeout(480_000);
  const errors = watchConsole(page);
  await page.goto('/bench.html');
  const panel = page.getByTestId('model-bench');
  await expect(panel.getByTestId('model-bench-empty')).toContainText('No model in the cache yet');

  await page.goto(`${MEASURED}#/runs`);
  const section = page.getByTestId('models-section');
  await section.getByLabel('local folder').check();
  await section.getByTestId('model-folder-input').setInputFiles(folder);
  await expect(section.getByTestId('model-result')).toContainText('folder tiny-folder: fetched 5 files');

  await page.goto('/bench.html');
  await expect(panel.getByRole('option', { name: /^tiny-folder / })).toHaveCount(1);
  await expect(panel.getByLabel('f16 weights')).toBeChecked(); // the default: both precisions
  await expect(panel.getByLabel('f32 weights')).toBeChecked();
  await panel.getByLabel('prompt tokens', { exact: true }).fill('4');
  await panel.getByLabel('new tokens', { exact: true }).fill('3');
  await panel.getByRole('combobox', { name: /^kernels/ }).selectOption('fused');
  await panel.getByRole('button', { name: 'Run on this model' }).click();
  await expect(panel.getByTestId('model-bench-progress')).toBeVisible();
  const table = panel.getByTestId('bench-table').filter({ hasText: 'load and decode' });
  await expect(table).toBeVisible({ timeout: 420_000 });
  const headers = await table.locator('th').allTextContents();
  const rows = await table
    .getByTestId('bench-row')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  const col = (cells: string[], h: string) => cells[headers.indexOf(h)];
  expect(rows.map((r) => [col(r, 'backend'), col(r, 'kernels'), col(r, 'weights')])).toEqual([
    ['webgpu', 'fused', 'f16'],
    ['webgpu', 'fused', 'f32'],
  ]);
  const [f16, f32] = rows;
  const ratio = Number(col(f16, 'weights MiB')) / Number(col(f32, 'weights MiB'));
  expect(ratio).toBeGreaterThan(0.45); // the matrices in halves, norms and biases in f32 (two decimals of MiB)
  expect(ratio).toBeLessThan(0.56);
  expect(Number(col(f16, 'dispatches/token'))).toBeGreaterThan(0);
  expect(col(f16, 'dispatches/token')).toBe(col(f32, 'dispatches/token'));
  await expect(panel.getByTestId('model-bench-environment')).toContainText('kernels on webgpu: fused');
  await expect(panel.getByTestId('bench-table').filter({ hasText: 'published figures' })).toHaveCount(0);
  await expect(panel.getByRole('button', { name: 'Copy as Markdown' })).toBeEnabled();
  await page.screenshot({ path: test.info().outputPath('bench-model.png'), fullPage: true });
  expect(errors).toEqual([]);
});

// The bench page in real Chromium with WebGPU on SwiftShader: nano, one timed step, WebGPU only, no
// comparison (from the URL query); the kernel path in force is named with why (fused: the self-check passes
// here), a result row for webgpu on those kernels appears with GPU dispatches counted, and nothing is logged
// as a console error. And the kernel self-check: every case within 1e-4 of stock in Chromium, and the path
// the lab takes on this adapter from then on.
import { expect, test } from '@playwright/test';
import { watchConsole } from './helpers';

test('the bench page runs nano on WebGPU and reports dispatches per step', async ({ page }) => {
  // auto runs the whole kernel self-check first (on SwiftShader's subgroups, each reduction twice)
  test.setTimeout(480_000);
  const errors = watchConsole(page);
  await page.goto('/bench.html?backends=webgpu&presets=nano&steps=1&compare=0');
  await expect(page.getByLabel('backend webgpu')).toBeChecked();
  await expect(page.getByLabel('backend wasm')).not.toBeChecked();
  await page.getByRole('button', { name: 'Run benchmark' }).click();
  await expect(page.getByTestId('bench-progress')).toBeVisible();
  const table = page.getByTestId('bench-table').filter({ hasText: 'Engine benchmark' });
  await expect(table).toBeVisible({ timeout: 420_000 });
  const headers = await table.locator('th').allTextContents();
  const row = table.getByTestId('bench-row').filter({ hasText: 'webgpu' });
  await expect(row).toHaveCount(1);
  const cells = await row.locator('td').allTextContents();
  expect(cells[headers.indexOf('backend')]).toBe('webgpu');
  expect(cells[headers.indexOf('preset')]).toBe('nano');
  expect(cells[headers.indexOf('kernels')]).toBe('fused'); // auto, and the self-check passes on SwiftShader
  await expect(page.getByTestId('bench-kernels')).toHaveText(
    /^kernels on webgpu: fused WebGPU kernels: all \d+ cases passed the kernel self-check on this adapter/,
  );
  expect(Number(cells[headers.indexOf('dispatches/step')])).toBeGreaterThan(0);
  await expect(page.getByRole('button', { name: 'Copy as Markdown' })).toBeEnabled();
  await page.screenshot({ path: test.info().outputPath('bench.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('the kernel check passes every case against stock on WebGPU in Chromium, and names the kernel path', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const errors = watchConsole(page);
  await page.goto('/bench.html');
  await page.getByRole('button', { name: 'Check kernels' }).click();
  await expect(page.getByTestId('kernel-summary')).toHaveText(/^all \d+ kernels pass$/, { timeout: 200_000 });
  const table = page.getByTestId('bench-table').filter({ hasText: 'Kernel check' });
  await expect(table).toContainText('WebGPU');
  const rows = table.getByTestId('bench-row');
  expect(await rows.count()).toBeGreaterThanOrEqual(19);
  for (const cells of await rows.evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
  )) {
    expect(cells[4], `${cells[0]}: forward ${cells[2]}, gradients ${cells[3]}`).toBe('pass');
  }
  const choice = page.getByTestId('kernel-choice');
  await expect(choice).toHaveText(
    /^In the lab on this adapter: fused WebGPU kernels: all \d+ cases passed the kernel self-check .* \(checked now\)/,
  );
  await expect(choice).toHaveText(/\(checked now\)(; reductions by subgroups)?$/); // where the adapter has subgroups
  await page.screenshot({ path: test.info().outputPath('kernel-check.png'), fullPage: true });
  expect(errors).toEqual([]);
});

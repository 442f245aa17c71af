// The shell in real Chromium with WebGPU on SwiftShader: the backend is reported, the engine check (nano
// on a built-in trace, in the worker) lowers the loss from ~ln(120) = 4.8 to below 1 within 40 steps, and
// again to the same loss with the fused WebGPU kernels on; every page opens from its tab, and nothing is
// logged as a console error.
import { expect, test } from '@playwright/test';
import { watchConsole } from './helpers';

test('reports WebGPU, the engine check lowers the loss, every tab opens without console errors', async ({ page }) => {
  test.setTimeout(300_000);
  const errors = watchConsole(page);
  await page.goto('/');
  await expect(page.getByTestId('backend-name')).toHaveText('webgpu');
  await page.getByRole('button', { name: 'Check the engine' }).click();
  // this check, not the last one's text
  await expect(page.getByRole('button', { name: 'Check the engine' })).toBeDisabled();
  // no '…': done
  await expect(page.getByTestId('engine-check')).toHaveText(/in 40 steps, \d+ tokens\/s$/, { timeout: 240_000 });
  await page.getByTestId('backend-panel').screenshot({ path: test.info().outputPath('engine-check.png') });
  const summary = await page.getByTestId('engine-check').textContent();
  const [, first, last, steps] = /loss ([\d.]+) → ([\d.]+) in (\d+) steps/.exec(summary ?? '') ?? [];
  expect(Number(steps)).toBe(40);
  expect(Number(first)).toBeGreaterThan(4);
  expect(Number(last), summary ?? '').toBeLessThan(1);
  // the same check with our fused WebGPU programs in the loop: they must train the same in Chromium
  await page.getByLabel('fused WebGPU kernels (experimental)').check();
  await page.getByRole('button', { name: 'Check the engine' }).click();
  // this check, not the last one's text
  await expect(page.getByRole('button', { name: 'Check the engine' })).toBeDisabled();
  await expect(page.getByTestId('engine-check')).toHaveText(/in 40 steps, \d+ tokens\/s$/, { timeout: 240_000 });
  const fused =
    /loss ([\d.]+) → ([\d.]+) in (\d+) steps/.exec((await page.getByTestId('engine-check').textContent()) ?? '') ?? [];
  expect(Number(fused[1])).toBeCloseTo(Number(first), 2); // same init, same first batch
  expect(Math.abs(Number(fused[2]) - Number(last)), `fused ${fused[2]}, stock ${last}`).toBeLessThan(0.05);
  await page.getByLabel('fused WebGPU kernels (experimental)').uncheck();
  for (const tab of ['GRPO groups', 'Step-through', 'Judge', 'Data', 'Runs & checkpoints', 'Train']) {
    await page.getByRole('link', { name: tab }).click();
    await expect(page.getByRole('link', { name: tab })).toHaveAttribute('aria-current', 'page');
  }
  expect(errors).toEqual([]);
});

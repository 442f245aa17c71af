// The shell in real Chromium with WebGPU on SwiftShader: the backend is reported, the engine check (nano
// on a built-in trace, in the worker) lowers the loss from ~ln(120) = 4.8 to below 1 within 40 steps,
// every page opens from its tab, and nothing is logged as a console error.
import { expect, test } from '@playwright/test';
import { watchConsole } from './helpers';

test('reports WebGPU, the engine check lowers the loss, and every page opens from its tab without console errors', async ({ page }) => {
  test.setTimeout(300_000);
  const errors = watchConsole(page);
  await page.goto('/');
  await expect(page.getByTestId('backend-name')).toHaveText('webgpu');
  await page.getByRole('button', { name: 'Check the engine' }).click();
  await expect(page.getByTestId('engine-check')).toHaveText(/in 40 steps, \d+ tokens\/s$/, { timeout: 240_000 }); // no '…': done
  await page.getByTestId('backend-panel').screenshot({ path: test.info().outputPath('engine-check.png') });
  const summary = await page.getByTestId('engine-check').textContent();
  const [, first, last, steps] = /loss ([\d.]+) → ([\d.]+) in (\d+) steps/.exec(summary ?? '') ?? [];
  expect(Number(steps)).toBe(40);
  expect(Number(first)).toBeGreaterThan(4);
  expect(Number(last), summary ?? '').toBeLessThan(1);
  for (const tab of ['GRPO groups', 'Step-through', 'Judge', 'Data', 'Runs & checkpoints', 'Train']) {
    await page.getByRole('link', { name: tab }).click();
    await expect(page.getByRole('link', { name: tab })).toHaveAttribute('aria-current', 'page');
  }
  expect(errors).toEqual([]);
});

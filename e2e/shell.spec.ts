// The shell in real Chromium with WebGPU on SwiftShader: the backend is reported, every page opens from
// its tab, and nothing is logged as a console error. Without WebGPU the notice names the reason.
import { expect, test } from '@playwright/test';
import { watchConsole } from './helpers';

test('reports WebGPU and opens every page from its tab without console errors', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/');
  await expect(page.getByTestId('backend-name')).toHaveText('webgpu');
  for (const tab of ['GRPO groups', 'Step-through', 'Judge', 'Data', 'Runs & checkpoints', 'Train']) {
    await page.getByRole('link', { name: tab }).click();
    await expect(page.getByRole('link', { name: tab })).toHaveAttribute('aria-current', 'page');
  }
  expect(errors).toEqual([]);
});

// The shell in real Chromium with WebGPU on SwiftShader: the backend is reported, and the kernels in force
// with why — the fused WebGPU kernels, on by default because the kernel self-check passes on this adapter.
// The engine check (nano on a built-in trace, in the worker) lowers the loss from ~ln(120) = 4.8 to below
// 1 within 40 steps with them, and again to the same loss with the switch off (stock tfjs ops). A reload
// takes the self-check's outcome from the cache; every page opens from its tab; nothing is logged as a
// console error.
import { expect, test } from '@playwright/test';
import { watchConsole } from './helpers';

const LOSS = /loss ([\d.]+) → ([\d.]+) in (\d+) steps/;

test('reports WebGPU and its kernels, the engine check lowers the loss fused and stock, every tab opens', async ({
  page,
}) => {
  test.setTimeout(420_000);
  const errors = watchConsole(page);
  // WebGPU, forced as the Engine panel's override does: the page would measure WASM faster on SwiftShader
  await page.goto('/?backend=webgpu');
  await expect(page.getByTestId('backend-name')).toHaveText('webgpu');
  // the first start on this adapter: the kernel self-check runs, the backend already shown
  const kernels = page.getByTestId('kernel-path');
  await expect(kernels).toHaveText(
    /^Kernels: fused WebGPU kernels: all \d+ cases passed the kernel self-check on this adapter \(checked now\)/,
    { timeout: 240_000 },
  );
  await expect(kernels).toHaveText(/\(checked now\)(; reductions by subgroups)?$/); // where the adapter has subgroups
  const fusedSwitch = page.getByLabel('fused WebGPU kernels (on where the self-check passes)');
  await expect(fusedSwitch).toBeChecked();

  const engineCheck = async () => {
    await page.getByRole('button', { name: 'Check the engine' }).click();
    // this check, not the last one's text
    await expect(page.getByRole('button', { name: 'Check the engine' })).toBeDisabled();
    // no '…': done
    await expect(page.getByTestId('engine-check')).toHaveText(/in 40 steps, \d+ tokens\/s$/, { timeout: 240_000 });
    const summary = (await page.getByTestId('engine-check').textContent()) ?? '';
    const [, first, last, steps] = LOSS.exec(summary) ?? [];
    expect(Number(steps)).toBe(40);
    return { first: Number(first), last: Number(last), summary };
  };
  const fused = await engineCheck();
  await page.getByTestId('backend-panel').screenshot({ path: test.info().outputPath('engine-check.png') });
  expect(fused.first).toBeGreaterThan(4);
  expect(fused.last, fused.summary).toBeLessThan(1);

  // the switch gives stock tfjs ops, which must train the same in Chromium
  await fusedSwitch.uncheck();
  await expect(kernels).toHaveText('Kernels: stock tfjs ops, as chosen');
  const stock = await engineCheck();
  expect(stock.first).toBeCloseTo(fused.first, 2); // same init, same first batch
  expect(Math.abs(stock.last - fused.last), `stock ${stock.last}, fused ${fused.last}`).toBeLessThan(0.05);

  // a new start on the same adapter: the self-check's outcome comes from the cache, fused again
  await page.reload();
  await expect(kernels).toHaveText(
    /passed the kernel self-check on this adapter \(cached result from [\d-]+ [\d:]+ UTC\)/,
  );
  await expect(kernels).toHaveText(/UTC\)(; reductions by subgroups)?$/);
  await expect(fusedSwitch).toBeChecked();
  for (const tab of ['GRPO groups', 'Step-through', 'Judge', 'Data', 'Runs & checkpoints', 'Train']) {
    await page.getByRole('link', { name: tab }).click();
    await expect(page.getByRole('link', { name: tab })).toHaveAttribute('aria-current', 'page');
  }
  expect(errors).toEqual([]);
});

// The Train page, the GRPO group view and persistence in real Chromium (WebGPU on SwiftShader), with the
// "Quick look" preset (nano) started from the nano fixture checkpoint so that some judgements carry a
// verdict and GRPO groups have mixed rewards:
//  - start training, metric points appear, pause, one step, resume; the device memory the steps held is shown;
//  - the page answers clicks while a step runs: 9 of 10 clicks reach the next frame within 100 ms, none waits 1 s
//    (SwiftShader shares the CPU between the page's compositor and the worker's WebGPU work, so one click in
//    ten may wait for a long GPU submission);
//  - the group view shows G judgements per prompt, and advantages sum to ~0 in each group with mixed rewards;
//    its step slider counts GRPO steps from 1, as the step-through's heading does;
//  - after a reload the run and its checkpoints are still there, and a copied URL restores the settings.
import { expect, test, type Page } from '@playwright/test';
import { importCheckpoint, MEASURED, selectByText, watchConsole } from './helpers';

const G = 4;

/** Click-to-frame latency: from a click on the settings summary to the next animation frame, in ms. */
async function clickLatencies(page: Page, n: number): Promise<number[]> {
  return page.evaluate(async (count) => {
    const out: number[] = [];
    const summary = document.querySelector('details > summary') as HTMLElement;
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      summary.click();
      await new Promise<void>((r) => requestAnimationFrame(() => r()));
      out.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 150));
    }
    return out;
  }, n);
}

const points = async (page: Page, chart: string) =>
  Number(await page.getByTestId(`chart-${chart}`).getAttribute('data-points'));

test(
  'train: start, points appear, pause, step, resume, stay responsive; group view; reload keeps the run; the URL ' +
    'restores settings',
  async ({ page }, info) => {
    test.setTimeout(600_000);
    const errors = watchConsole(page);
    // WebGPU, forced: the page would measure WASM faster on SwiftShader (backend_choice.spec.ts), and the
    // responsiveness check is about a worker that shares the CPU with a GPU's submissions
    await page.goto('/?backend=webgpu');
    await expect(page.getByTestId('backend-name')).toHaveText('webgpu');
    await importCheckpoint(page, 'e2e/fixtures/nano-judge', 'nano-fixture');

    await page.getByRole('link', { name: 'Train' }).click();
    await page.getByLabel('recipe preset').selectOption('quick');
    await page.getByLabel('run seed').fill('3');
    await selectByText(page.getByLabel('start from'), 'nano-fixture');
    await expect(page).toHaveURL(/seed=3/);
    const link = page.url();

    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect(page.getByTestId('run-status')).toHaveText('running');
    await expect.poll(() => points(page, 'SFT loss'), { timeout: 120_000 }).toBeGreaterThan(0);

    const latencies = await clickLatencies(page, 10);
    latencies.sort((a, b) => a - b);
    console.log(`click-to-frame while training (ms): ${latencies.map((x) => x.toFixed(0)).join(', ')}`);
    expect(latencies[8], '9 of 10 clicks answered within 100 ms (6 frames at 60 Hz)').toBeLessThan(100);
    expect(latencies[9], 'no click waits a second').toBeLessThan(1000);

    await page.getByRole('button', { name: 'Pause' }).click();
    await expect(page.getByTestId('run-status')).toHaveText('paused', { timeout: 120_000 });
    const before = await points(page, 'SFT loss');
    await page.getByRole('button', { name: 'Step' }).click();
    await expect.poll(() => points(page, 'SFT loss'), { timeout: 120_000 }).toBe(before + 1);
    await expect(page.getByTestId('run-status')).toHaveText('paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect(page.getByTestId('run-status')).toHaveText('done', { timeout: 480_000 });
    await expect(page.getByTestId('eval-table')).toContainText('GRPO');
    expect(await points(page, 'reward')).toBe(4);
    // what the steps held on the device, per stage, measured (WebGPU's buffers with its pool)
    await expect(page.getByTestId('measured-memory')).toContainText(
      /Device memory measured: distillation [\d.]+ [KMG]iB.*, GRPO [\d.]+ [KMG]iB/,
    );
    await page.screenshot({ path: info.outputPath('train.png'), fullPage: true });

    await page.getByRole('link', { name: 'GRPO groups' }).click();
    const slider = page.getByLabel('GRPO step');
    let mixed = 0;
    for (let step = 0; step < 4; step++) {
      await slider.fill(String(step));
      await expect(page.locator('.step-picker')).toContainText(`step ${step + 1} (${step + 1} of 4 stored)`);
      await expect(page.getByTestId('group-row')).toHaveCount(2);
      for (const row of await page.getByTestId('group-row').all()) {
        const judgements = row.getByTestId('judgement');
        await expect(judgements).toHaveCount(G);
        const adv = await judgements.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-advantage'))));
        const zero = (await row.getByTestId('zero-std').count()) > 0;
        if (zero) expect(adv.every((a) => a === 0)).toBe(true);
        else {
          mixed++;
          expect(Math.abs(adv.reduce((a, b) => a + b, 0))).toBeLessThan(1e-6);
        }
      }
    }
    expect(mixed, 'at least one group with mixed rewards across the 4 steps').toBeGreaterThan(0);
    await page.getByTestId('judgement').first().click();
    await expect(page.getByTestId('token-trace')).toBeVisible();
    await page.getByRole('radio', { name: 'kl' }).check();
    await page.screenshot({ path: info.outputPath('groups.png'), fullPage: true });

    await page.reload();
    await page.getByRole('link', { name: 'Runs & checkpoints' }).click();
    await expect(page.getByTestId('run-row')).toHaveCount(1);
    await expect(page.getByTestId('run-row')).toContainText('done');
    const names = await page.getByTestId('checkpoint-row').allTextContents();
    expect(names.some((n) => n.startsWith('sft'))).toBe(true);
    expect(names.some((n) => n.startsWith('grpo'))).toBe(true);
    await page.getByRole('button', { name: 'open' }).click();
    await expect(page.getByTestId('eval-table')).toContainText('GRPO');

    const fresh = await page.context().newPage();
    await fresh.goto(link);
    await expect(fresh.getByLabel('run seed')).toHaveValue('3');
    await expect(fresh.getByLabel('recipe preset')).toHaveValue('quick');
    expect(errors).toEqual([]);
  },
);

test('step through all GRPO stages of a demo step with Next and Back', async ({ page }, info) => {
  test.setTimeout(300_000);
  const errors = watchConsole(page);
  await page.goto(MEASURED);
  await importCheckpoint(page, 'e2e/fixtures/nano-judge', 'nano-fixture');
  await page.getByRole('link', { name: 'Step-through' }).click();
  await selectByText(page.getByLabel('demo weights'), 'nano-fixture');
  await page.getByTestId('st-demo').click();
  const stages = ['sample', 'score', 'advantages', 'loss', 'update'];
  for (const s of stages) {
    await page.getByTestId('st-next').click();
    await expect(page.getByTestId('stage-current')).toHaveAttribute('data-stage', s, { timeout: 120_000 });
    await expect(page.getByTestId(`stage-${s}`)).toBeVisible();
    if (s === 'advantages') await expect(page.getByTestId('advantage-group')).toHaveCount(2); // 2 prompts
    // 2 × G judgements, before and after
    if (s === 'update') await expect(page.getByTestId('logp-change')).toHaveCount(8);
  }
  await expect(page.getByRole('heading', { name: 'GRPO step 1 (demo)' })).toBeVisible(); // steps count from 1
  await page.screenshot({ path: info.outputPath('step-through.png'), fullPage: true });
  for (const s of [...stages].reverse().slice(1)) {
    await page.getByTestId('st-back').click();
    await expect(page.getByTestId('stage-current')).toHaveAttribute('data-stage', s);
  }
  await expect(page.getByTestId('st-back')).toBeDisabled();
  await page.getByTestId('st-next').click(); // forward again: shows the stages already run, runs nothing new
  await expect(page.getByTestId('stage-current')).toHaveAttribute('data-stage', 'score');
  expect(errors).toEqual([]);
});

// A run's life across refusals, reloads and tabs, in real Chromium, nano settings from the link, on WASM (set
// by the link: the backend does not matter here, and WASM is the faster one on SwiftShader):
//  - 15.1: a start the worker refuses (an odd promptsPerStep with bothOrders) shows why, marks the run failed,
//    and leaves Start, the presets and the settings usable;
//  - 15.4: a run reloaded mid-run is "interrupted" with a resume point; Resume (Runs page) loads it again and
//    it finishes, each SFT step charted once;
//  - 15.3: a second tab of the same browser shows a live run as "running in another tab" (no delete, no
//    resume), also after it reloads, and the run stays paused in the first tab; once the first tab stops it,
//    the second shows "stopped".
import { expect, test, type Page } from '@playwright/test';
import { watchConsole } from './helpers';

// ~400 traces in batches of 4: ~95 SFT steps (nano on WASM: a few seconds each way), a 'latest' checkpoint
// every 2, so a pause after step 5 lands mid-run however many steps run before the pause takes
const NANO =
  'preset=nano&stage=sft&checkpointEvery=2&world.nDistill=400&world.nEval=2&sft.epochs=1&sft.batchSize=4' +
  '&eval.maxCompletionLength=8';
/** The SFT stage's step count, as its progress shows it ("done/total"). */
const sftTotal = async (page: Page) =>
  Number(((await page.getByTestId('stage-progress').locator('.count').first().textContent()) ?? '').split('/')[1]);

const status = (page: Page) => page.getByTestId('run-status');
const sftPoints = async (page: Page) =>
  Number(await page.getByTestId('chart-tokens_per_second (SFT)').getAttribute('data-points'));

async function startAndPause(page: Page, atLeast: number): Promise<void> {
  await page.goto(`/?backend=wasm#/train?${NANO}`);
  await expect(page.getByTestId('backend-name')).toHaveText('wasm');
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect(status(page)).toHaveText('running', { timeout: 120_000 });
  await expect.poll(() => sftPoints(page), { timeout: 240_000 }).toBeGreaterThanOrEqual(atLeast);
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(status(page)).toHaveText('paused', { timeout: 120_000 });
}

test('15.1: a start the worker refuses leaves the page usable and the run failed with the reason', async ({ page }) => {
  test.setTimeout(300_000);
  const errors = watchConsole(page);
  await page.goto(`/?backend=wasm#/train?${NANO}&stage=both&grpo.promptsPerStep=3`);
  await expect(page.getByTestId('backend-name')).toHaveText('wasm');
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect(page.getByTestId('run-error')).toContainText('even number of prompts per step, got 3');
  await expect(status(page)).toHaveText('failed');
  await expect(page.getByRole('button', { name: 'Start', exact: true })).toBeEnabled();
  await expect(page.getByLabel('recipe preset')).toBeEnabled();
  await expect(page.getByLabel('run seed')).toBeEnabled();
  await page.getByRole('link', { name: 'Runs & checkpoints' }).click();
  await expect(page.getByTestId('run-row')).toContainText('failed');
  expect(errors).toEqual([]);
});

test('15.4: a run reloaded mid-run resumes from its last checkpoint and finishes, each step once', async ({ page }) => {
  test.setTimeout(600_000);
  const errors = watchConsole(page);
  await startAndPause(page, 5); // 'latest' at 2 and 4; step 5 is past it
  await page.reload();
  await page.getByRole('link', { name: 'Runs & checkpoints' }).click();
  const row = page.getByTestId('run-row');
  await expect(row).toContainText('interrupted');
  await row.getByRole('button', { name: 'resume' }).click();
  await expect(status(page)).toHaveText(/running|done/, { timeout: 120_000 });
  await expect(status(page)).toHaveText('done', { timeout: 400_000 });
  expect(await sftPoints(page)).toBe(await sftTotal(page)); // each step charted once, none lost
  expect(await sftTotal(page)).toBeGreaterThan(50);
  await expect(page.getByTestId('eval-table')).toContainText('distillation');
  expect(errors).toEqual([]);
});

test('15.3: a second tab shows a live run as running there, read-only, and does not interrupt it', async ({
  page,
  context,
}) => {
  test.setTimeout(600_000);
  const errors = watchConsole(page);
  await startAndPause(page, 1);
  const other = await context.newPage();
  const otherErrors = watchConsole(other);
  await other.goto('/?backend=wasm#/runs');
  const row = other.getByTestId('run-row');
  await expect(row).toContainText('running in another tab');
  await expect(row.getByRole('button', { name: 'delete' })).toBeDisabled();
  await other.reload();
  await expect(other.getByTestId('run-row')).toContainText('running in another tab');
  await expect(status(page)).toHaveText('paused');

  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(status(page)).toHaveText('stopped', { timeout: 120_000 });
  await expect(other.getByTestId('run-row')).toContainText('stopped', { timeout: 60_000 });
  await expect(other.getByTestId('run-row').getByRole('button', { name: 'delete' })).toBeEnabled();
  expect([...errors, ...otherErrors]).toEqual([]);
});

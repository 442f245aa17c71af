// The Runs page's export: a run started and stopped on the Train page (quick preset) downloads as one zip
// for verl and one for TRL holding the files `npm run export` writes; the GRPO rows are the run's, checked
// against the pairs the run recorded (the README says so).
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { unzipSync, strFromU8 } from 'fflate';
import { MEASURED, watchConsole } from './helpers';

async function download(page: Page, runName: string, target: string): Promise<Record<string, string>> {
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: `export ${runName} for ${target}` }).click(),
  ]);
  const zip = unzipSync(new Uint8Array(readFileSync(await file.path())));
  return Object.fromEntries(Object.entries(zip).map(([path, bytes]) => [path, strFromU8(bytes)]));
}

test('Runs page: a run exports for verl and for TRL as a zip of the run’s data, reward and settings', async ({
  page,
}) => {
  test.setTimeout(300_000);
  const errors = watchConsole(page);
  await page.goto(MEASURED);
  await page.getByLabel('recipe preset').selectOption('quick');
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect
    .poll(async () => Number(await page.getByTestId('chart-SFT loss').getAttribute('data-points')), {
      timeout: 120_000,
    })
    .toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByTestId('run-status')).toHaveText('stopped', { timeout: 60_000 });

  await page.getByRole('link', { name: 'Runs & checkpoints' }).click();
  const row = page.getByTestId('run-row').first();
  const runName = (await row.locator('td').nth(1).textContent()) ?? '';
  const runId = (await row.locator('td').nth(1).getAttribute('title')) ?? '';

  const verl = await download(page, runName, 'verl');
  const dir = `${runId}-verl/`;
  for (const f of ['grpo/train.json', 'grpo/test.json', 'sft/train.jsonl', 'reward.py', 'run_grpo.sh', 'README.md'])
    expect(Object.keys(verl)).toContain(dir + f);
  const manifest = JSON.parse(verl[`${dir}manifest.json`]);
  const rows = verl[`${dir}grpo/train.json`]
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(rows.length).toBe(manifest.rows['grpo/train.json']);
  expect(rows[0]).toMatchObject({ data_source: 'rubric-lab', reward_model: { style: 'rule' } });
  expect(rows[0].prompt.map((m: { role: string }) => m.role)).toEqual(['system', 'user']);
  expect(verl[`${dir}README.md`]).toContain('the ones the run drew from (checked by content hash)');

  const trl = await download(page, runName, 'TRL');
  expect(JSON.parse(trl[`${runId}-trl/grpo_config.json`])).toHaveProperty('num_generations');
  expect(trl[`${runId}-trl/reward.py`]).toContain('def make_trl_reward(tokenizer)');
  expect(errors).toEqual([]);
});

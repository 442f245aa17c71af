// The Data page in real Chromium: a malformed JSONL file gets a per-line report (line numbers and reasons)
// and only the valid rows are kept and browsable; rejecting saves nothing; a text file is refused by name;
// imported HTML is shown as text, never run; a 3,000-pair synthetic dataset is virtualised (far fewer row
// elements than pairs), filters change the count, a synthetic pair shows the oracle's rubric tree; export
// downloads one JSONL line per pair; delete asks first; no console errors anywhere.
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { watchConsole } from './helpers';

const FIXTURES = 'e2e/fixtures/data';

async function openDataPage(page: Page) {
  await page.goto('/#/data');
  await expect(page.getByRole('heading', { name: 'Datasets' })).toBeVisible();
  await expect(page.getByTestId('no-datasets')).toBeVisible(); // storage opened (each test has a fresh context)
}

async function importFixture(page: Page, file: string) {
  await page.getByTestId('import-dataset').setInputFiles(`${FIXTURES}/${file}`);
}

test('malformed JSONL: the report names bad lines, valid rows are kept and browsable, HTML stays text', async ({
  page,
}) => {
  const errors = watchConsole(page);
  await openDataPage(page);
  await importFixture(page, 'rewardbench-malformed.jsonl');

  const report = page.getByTestId('import-report');
  await expect(report.getByTestId('import-format')).toHaveText('rewardbench');
  await expect(report.getByTestId('import-records')).toHaveText('8');
  await expect(report.getByTestId('import-valid')).toHaveText('6');
  await expect(report.getByTestId('import-bad')).toHaveText('2');
  const issues = report.getByTestId('import-errors').getByTestId('issue');
  await expect(issues).toHaveCount(2);
  await expect(issues.nth(0)).toContainText('line 3');
  await expect(issues.nth(0)).toContainText('invalid JSON');
  await expect(issues.nth(1)).toContainText('line 5');
  await expect(issues.nth(1)).toContainText('missing field "chosen"');
  await expect(page.getByTestId('no-datasets')).toBeVisible(); // nothing saved before the choice

  await page.getByLabel('dataset name', { exact: true }).fill('rb fixture');
  await page.getByTestId('keep-import').click();
  await expect(page.getByTestId('keep-import')).toHaveCount(0);
  const row = page.getByTestId('dataset-row').filter({ hasText: 'rb fixture' });
  await expect(row.getByTestId('dataset-count')).toHaveText('6');
  await expect(page.getByRole('heading', { name: 'Browse: rb fixture' })).toBeVisible();
  await expect(page.getByTestId('pair-count')).toHaveText('6 of 6 pairs');
  await expect(page.getByTestId('pair-row')).toHaveCount(6);

  // After a reload the rows come back from IndexedDB.
  await page.reload();
  await row.getByRole('button', { name: 'browse' }).click();
  await expect(page.getByTestId('pair-count')).toHaveText('6 of 6 pairs');

  // The HTML line: shown literally in the table and the detail, and nothing in it ran.
  await page.getByLabel('search prompt and responses').fill('render this');
  await expect(page.getByTestId('pair-count')).toHaveText('1 of 6 pairs');
  await page.getByTestId('pair-row').first().click();
  const detail = page.getByTestId('pair-detail');
  await expect(detail.getByTestId('detail-prompt')).toHaveText(
    'Render this: <img src=x onerror="window.__xss=1"><script>window.__xss=2</script>',
  );
  await expect(detail.locator('img, script, iframe, b')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  await expect(detail.getByTestId('oracle-trace')).toHaveCount(0); // imported pairs have no truth
  expect(errors).toEqual([]);
});

test('rejecting a file saves nothing, and a file that is not JSON is refused with the problem named', async ({
  page,
}) => {
  const errors = watchConsole(page);
  await openDataPage(page);
  await importFixture(page, 'rewardbench-malformed.jsonl');
  await expect(page.getByTestId('keep-import')).toHaveText('Keep 6 valid pairs (skip 2 bad records)');
  await page.getByTestId('reject-import').click();
  await expect(page.getByTestId('import-report')).toHaveCount(0);

  await importFixture(page, 'not-a-dataset.txt');
  await expect(page.getByTestId('import-failure')).toContainText('not-a-dataset.txt is not JSON or JSONL');
  await expect(page.getByTestId('import-failure')).toContainText('line 1: invalid JSON');

  await page.reload(); // what was saved is what IndexedDB holds
  await expect(page.getByTestId('no-datasets')).toBeVisible();
  expect(errors).toEqual([]);
});

test('3,000 synthetic pairs: validated knobs, virtual table, filters, oracle tree, export, delete', async ({
  page,
}, testInfo) => {
  const errors = watchConsole(page);
  await openDataPage(page);

  const pairsInput = page.getByLabel('pairs', { exact: true });
  await pairsInput.fill('0');
  await expect(page.getByTestId('gen-error')).toHaveText('pairs must be between 1 and 20,000 (got 0)');
  await expect(page.getByTestId('generate')).toBeDisabled();
  await pairsInput.fill('3000');
  await expect(page.getByTestId('gen-preview')).toHaveText(
    'Will draw 3,000 pairs: chat 750 · chat-hard 750 · safety 750 · reasoning 750.',
  );
  await page.getByTestId('generate').click();

  const row = page.getByTestId('dataset-row').filter({ hasText: 'synthetic seed 1 · 3,000 pairs' });
  await expect(row.getByTestId('dataset-count')).toHaveText('3,000');
  await expect(page.getByTestId('pair-count')).toHaveText('3,000 of 3,000 pairs');
  const rendered = await page.getByTestId('pair-row').count();
  expect(rendered).toBeGreaterThan(5);
  expect(rendered).toBeLessThan(60); // only the rows in view (plus overscan) are in the DOM

  // Scrolling to the end renders the last rows, still only a window of them.
  await page.getByTestId('pair-scroll').evaluate((el) => {
    el.scrollTop = el.scrollHeight;
  });
  await expect(page.locator('[data-testid="pair-row"][aria-rowindex="3001"]')).toBeVisible();
  expect(await page.getByTestId('pair-row').count()).toBeLessThan(60);

  await page.getByLabel('filter by category').selectOption('chat');
  await expect(page.getByTestId('pair-count')).toHaveText('750 of 3,000 pairs');
  await page.getByLabel('filter by winner').selectOption('A');
  await expect(page.getByTestId('pair-count')).not.toHaveText('750 of 3,000 pairs');

  await page.getByTestId('pair-row').first().click();
  const detail = page.getByTestId('pair-detail');
  await expect(detail.getByTestId('detail-winner')).toHaveText('A');
  await expect(detail.getByTestId('oracle-trace')).toBeVisible();
  // the oracle agrees with the label
  await expect(detail.getByTestId('tree-verdict')).toHaveAttribute('data-verdict', 'A');
  await expect(detail.getByTestId('tree-error')).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('data.png'), fullPage: true });

  const downloading = page.waitForEvent('download');
  await row.getByRole('button', { name: 'export' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('synthetic_seed_1_3_000_pairs.jsonl');
  const lines = (await readFile((await download.path())!, 'utf8')).split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(3000);
  expect(JSON.parse(lines[0])).toMatchObject({ source: 'synthetic' });

  await row.getByRole('button', { name: 'delete' }).click();
  await expect(page.getByRole('group', { name: /confirm deleting/ })).toContainText('3,000 pairs');
  await page.getByRole('button', { name: 'yes, delete' }).click();
  await expect(page.getByTestId('no-datasets')).toBeVisible();
  await expect(page.getByTestId('pair-table')).toHaveCount(0);
  expect(errors).toEqual([]);
});

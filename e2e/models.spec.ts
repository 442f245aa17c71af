// Loading models into the browser's cache (Runs & checkpoints → Models) in real Chromium, against the
// stand-in Hub started here on 127.0.0.1. Must hold: a Hub model downloads with each file's progress shown
// (a held connection keeps the weights at 50.0 kB of 119 kB on screen); cancel keeps the bytes and the next
// download asks only for the rest (Range); a local folder given through the folder input is copied in; after
// a reload with the server stopped both are listed and load from the cache; delete empties the list; no
// console errors but the refused connections of the offline loads.
import { expect, test } from '@playwright/test';
import type { TestHub } from '../src/engine/hf/test_hub_server';
import { tinyModelFixture, watchConsole } from './helpers';

const REPO = 'test-org/tiny-model';
let hub: TestHub;
let folder: string;
let stop: () => Promise<void>;

test.beforeAll(async () => {
  ({ hub, folder, stop } = await tinyModelFixture(REPO));
});
test.afterAll(() => stop());

test('loads a model from the local Hub and from a folder, then offline after a reload, and deletes them', async ({
  page,
}, testInfo) => {
  const errors = watchConsole(page);
  await page.goto('/#/runs');
  const section = page.getByTestId('models-section');
  await expect(section).toContainText('No models in the cache yet.');

  // the Hub: the weights are held mid-file, so their progress is on screen; cancel, then resume
  const release = hub.holdOnce('model.safetensors', 50_000);
  await section.getByLabel('Hub model id').fill(REPO);
  await section.getByLabel('Hub URL').fill(hub.url);
  await section.getByRole('button', { name: 'Download' }).click();
  const line = (path: string) =>
    section.getByTestId('model-file-progress').filter({ hasText: new RegExp(`^${path.replace('.', '\\.')} `) });
  await expect(line('model.safetensors')).toContainText('model.safetensors 50.0 kB of 119 kB');
  await expect(line('config.json')).toContainText('done');
  await page.screenshot({ path: testInfo.outputPath('models-progress.png') });
  await section.getByRole('button', { name: 'cancel' }).click();
  await expect(section.getByTestId('model-error')).toHaveText('cancelled');
  release();
  await expect(section.getByTestId('model-row')).toContainText('4 of 5 (partly downloaded)');
  const seen = hub.requests.length;
  await section.getByRole('button', { name: 'Download' }).click();
  await expect(section.getByTestId('model-result')).toContainText(`${REPO}: fetched 1 file into the cache`);
  await expect(section.getByTestId('model-result')).toContainText('llama · 2 layers · hidden 48 · 559 tokens');
  // the memory plan against this browser's adapter (its limits, or said to be unchecked without one)
  await expect(section.getByTestId('memory-plan')).toContainText('KV cache (1,024 tokens)');
  await expect(section.getByTestId('memory-plan')).toContainText('adapter limits');
  const weights = hub.requests.slice(seen).filter((r) => r.path.startsWith('/cdn/'));
  expect(weights.map((r) => r.range)).toEqual(['bytes=50000-']); // only the rest
  await expect(section.getByTestId('model-row')).toContainText('5 of 5');

  // a local folder through the folder input
  await section.getByLabel('local folder').check();
  await section.getByTestId('model-folder-input').setInputFiles(folder);
  await expect(section.getByTestId('model-result')).toContainText('folder tiny-folder: fetched 5 files');
  await expect(section.getByTestId('model-row')).toHaveCount(2);

  // offline: the server stopped and the page reloaded
  await hub.stop();
  await page.reload();
  const row = (name: string) => section.getByTestId('model-row').filter({ hasText: name });
  await expect(section.getByTestId('model-row')).toHaveCount(2);
  await expect(row(REPO)).toContainText('main (');
  await row(REPO).getByRole('button', { name: 'load' }).click();
  await expect(section.getByTestId('model-result')).toContainText(`${REPO}@main: every file from the cache (`);
  await expect(section.getByTestId('model-result')).toContainText('could not reach the server');
  await row('tiny-folder').getByRole('button', { name: 'load' }).click();
  await expect(section.getByTestId('model-result')).toContainText('folder tiny-folder: every file from the cache');
  await page.screenshot({ path: testInfo.outputPath('models-offline.png') });

  for (const name of [REPO, 'tiny-folder']) await row(name).getByRole('button', { name: 'delete' }).click();
  await expect(section).toContainText('No models in the cache yet.');
  // the offline load asks the stopped server first: the browser logs the refused connection
  expect(errors.filter((e) => !/ERR_CONNECTION_REFUSED/.test(e))).toEqual([]);
});

// Judging with a real model on the Judge page in real Chromium (on WASM, picked over SwiftShader): a tiny random
// Llama-family model in Hugging Face layout (byte-level BPE tokenizer, ChatML chat template; made as in
// models.spec.ts) loaded from the Judge page itself, from a folder and from the stand-in Hub started here.
// Must hold: a loaded model is chosen and the page says which model judges; its prompt is RM-R1's rendered
// through its chat template; the trace streams in (its text grows in several steps) with tokens/s shown; Stop
// ends a long judgement with its trace so far kept and no verdict; after a reload with the server stopped the
// choice is remembered and the model judges again from the cache; no console errors but refused connections.
import { expect, type Page, test } from '@playwright/test';
import type { TestHub } from '../src/engine/hf/test_hub_server';
import { MEASURED, tinyModelFixture, watchConsole } from './helpers';

const REPO = 'test-org/tiny-judge';
let hub: TestHub;
let folder: string;
let stop: () => Promise<void>;

test.beforeAll(async () => {
  ({ hub, folder, stop } = await tinyModelFixture(REPO));
});
test.afterAll(() => stop());

async function fill(page: Page, maxNewTokens: number) {
  await page.getByLabel('question').fill('Name a color.');
  await page.getByLabel('response A').fill('Blue.');
  await page.getByLabel('response B').fill('Seven.');
  await page.getByLabel('max new tokens').fill(String(maxNewTokens));
  await expect(page.getByTestId('input-ok')).toContainText("of the model's 2048 context tokens");
}

/** Records the length of the shown order's raw trace at every DOM change, from before judging starts. */
async function watchTraceLength(page: Page) {
  await page.evaluate(() => {
    const w = window as unknown as { __lengths: number[] };
    w.__lengths = [];
    const read = () =>
      w.__lengths.push(
        document.querySelector('[data-testid="trace-shown"] [data-testid="tree-raw"]')?.textContent?.length ?? 0,
      );
    new MutationObserver(read).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  return () => page.evaluate(() => (window as unknown as { __lengths: number[] }).__lengths);
}

const judgeButton = (page: Page) => page.getByRole('button', { name: 'Judge', exact: true });
const RATE = /\d+\.\d tokens\/s · \d+ tokens written/;

test('judges with a real model from a folder and from the Hub, streams, stops, and judges offline', async ({
  page,
}, testInfo) => {
  test.setTimeout(600_000);
  const errors = watchConsole(page);
  await page.goto(`${MEASURED}#/judge`);
  const loader = page.getByTestId('judge-model-loader');
  const said = page.getByTestId('judge-model');
  await loader.getByText('Load a real model').click();

  // a folder, through the folder input: loaded into the cache and chosen
  await loader.getByLabel('local folder').check();
  await loader.getByTestId('model-folder-input').setInputFiles(folder);
  await expect(loader.getByTestId('model-result')).toContainText('folder tiny-folder: fetched 5 files');
  await expect(said).toContainText('Judging with tiny-folder (local folder), a real model');
  await fill(page, 32);
  const lengths = await watchTraceLength(page);
  await judgeButton(page).click();
  await expect(page.getByTestId('judge-verdict')).toHaveText(/is better|no verdict/, { timeout: 300_000 });
  const seen = (await lengths()).filter((n) => n > 0);
  expect(new Set(seen).size, `trace lengths seen: ${[...new Set(seen)]}`).toBeGreaterThan(2); // grew in steps
  await expect(page.getByTestId('judge-speed')).toHaveText(new RegExp(`${RATE.source} · done`));
  await page.getByText('The exact prompts fed to the model').click();
  await expect(page.getByTestId('prompt-text')).toContainText('<|im_start|>system\n');
  await expect(page.getByTestId('prompt-text')).toContainText("[The Start of Chatbot A's Response]\nBlue.");
  await page.screenshot({ path: testInfo.outputPath('judge-real-folder.png'), fullPage: true });

  // the local Hub: downloaded, chosen; a long judgement stopped once tokens/s shows
  await loader.getByLabel('Hugging Face Hub').check();
  await loader.getByLabel('Hub model id').fill(REPO);
  await loader.getByLabel('Hub URL').fill(hub.url);
  await loader.getByRole('button', { name: 'Download' }).click();
  await expect(loader.getByTestId('model-result')).toContainText(`${REPO}: fetched 5 files into the cache`);
  await expect(said).toContainText(`Judging with ${REPO}@main (Hugging Face Hub), a real model`);
  await fill(page, 1000);
  await judgeButton(page).click();
  await expect(page.getByTestId('judge-speed')).toHaveText(RATE, { timeout: 300_000 });
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByTestId('judge-speed')).toContainText('stopped: the traces so far are shown, no verdict');
  await expect(judgeButton(page)).toBeEnabled();
  await expect(page.getByTestId('judge-verdict')).toHaveCount(0);
  const written = Number((await page.getByTestId('judge-speed').textContent())?.match(/(\d+) tokens written/)?.[1]);
  expect(written).toBeLessThan(2 * 1000); // both orders together stopped well before their caps
  await expect(page.getByTestId('trace-shown').getByTestId('tree-raw')).not.toHaveText('');
  await page.screenshot({ path: testInfo.outputPath('judge-real-stopped.png'), fullPage: true });

  // offline: the server stopped, the page reloaded; the choice is remembered and the cache serves the model
  await hub.stop();
  await page.reload();
  await expect(said).toContainText(`Judging with ${REPO}@main (Hugging Face Hub), a real model`);
  await fill(page, 16);
  await judgeButton(page).click();
  await expect(page.getByTestId('judge-verdict')).toHaveText(/is better|no verdict/, { timeout: 300_000 });
  await expect(page.getByTestId('judge-speed')).toContainText('· done');
  await page.screenshot({ path: testInfo.outputPath('judge-real-offline.png'), fullPage: true });
  expect(errors.filter((e) => !/ERR_CONNECTION_REFUSED/.test(e))).toEqual([]);
});

// Training a real model from the Train page in real Chromium, on WASM (set by the link: the fastest here on
// SwiftShader): a tiny random Llama-family model in Hugging Face layout (made as in models.spec.ts) downloaded
// from the stand-in Hub started here into the browser's model cache (Runs page, Models), then picked on the
// Train page. Must hold: picking it turns LoRA on (r = 8) and shows the memory plan for its own config (2
// layers, hidden 48, 576 embedding rows); a tiny recipe (a few distillation steps, one short evaluation) runs to done
// with the model named on the Train page and on the Runs page; the pick is still there after a reload; no
// console errors.
import { expect, test } from '@playwright/test';
import type { TestHub } from '../src/engine/hf/test_hub_server';
import { tinyModelFixture, watchConsole } from './helpers';

const REPO = 'test-org/tiny-train';
const NAME = `${REPO}@main`;
// 9 world traces: 1 to train on and 8 held out, one SFT step per epoch, 2 epochs; the evaluation judges one
// pair in both orders, 4 tokens each
const TINY =
  'stage=sft&checkpointEvery=0&world.nDistill=9&world.nEval=1&sft.epochs=2&sft.batchSize=1' +
  '&eval.maxCompletionLength=4';
let hub: TestHub;
let stop: () => Promise<void>;

test.beforeAll(async () => {
  ({ hub, stop } = await tinyModelFixture(REPO));
});
test.afterAll(() => stop());

test('trains a real model of the model cache from the Train page to done, LoRA and its memory plan', async ({
  page,
}, testInfo) => {
  test.setTimeout(240_000);
  const errors = watchConsole(page);
  await page.goto('/?backend=wasm#/runs');
  const models = page.getByTestId('models-section');
  await models.getByLabel('Hub model id').fill(REPO);
  await models.getByLabel('Hub URL').fill(hub.url);
  await models.getByRole('button', { name: 'Download' }).click();
  await expect(models.getByTestId('model-result')).toContainText(`${REPO}: fetched 5 files into the cache`);

  await page.goto(`/?backend=wasm#/train?${TINY}`);
  await expect(page.getByTestId('backend-name')).toHaveText('wasm');
  const picker = page.getByLabel('model to train');
  await picker.selectOption({ label: NAME });
  await expect(page.getByLabel('start from')).toBeDisabled();
  const said = page.getByTestId('train-model');
  await expect(said).toContainText(`Trains ${NAME} (2 layers, hidden 48, 576 tokens) from the model cache, LoRA r = 8`);
  const plan = page.getByTestId('train-memory');
  await plan.locator('summary').click();
  await expect(plan.getByTestId('train-memory-sft')).toContainText('(LoRA r = 8)');
  expect(page.url()).toContain('lora.rank=8');
  await page.screenshot({ path: testInfo.outputPath('train-real-model-plan.png') });

  // the pick is kept across a reload, as the settings are by the link
  await page.reload();
  await expect(picker).toHaveValue(/hub--test-org--tiny-train/);
  await expect(said).toContainText('LoRA r = 8');

  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect(page.getByTestId('run-status')).toHaveText('done', { timeout: 180_000 });
  await expect(page.getByTestId('run-model')).toHaveText(` · model ${NAME}`);
  await expect(page.getByTestId('stage-progress')).toContainText('2/2');
  await page.screenshot({ path: testInfo.outputPath('train-real-model-done.png') });

  await page.goto('/?backend=wasm#/runs');
  const row = page.getByTestId('run-row').first();
  await expect(row).toContainText(`${NAME} sft seed 1`);
  await expect(row.getByTestId('run-model')).toHaveText(`model ${NAME}`);
  expect(errors).toEqual([]);
});

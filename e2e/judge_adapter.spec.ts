// A PEFT adapter on the Judge page in real Chromium: the tiny real model (e2e/helpers.ts) loaded from a
// folder, then adapters made here for it (as PEFT saves them: adapter_config.json + adapter_model.safetensors)
// put on it from a folder, refused from two files of another model's shapes, and fetched from the stand-in
// Hub. Must hold: the adapter's rank, α, targets and tensor count are shown; a base_model_name_or_path naming
// another model is a warning naming both; the judgement with the adapter differs from the base's; a refused
// adapter names the tensor and both shapes and leaves the one on; taken off, the base judges as before.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { testAdapterFiles } from '../src/engine/hf/test_adapter_files';
import { testModelFiles } from '../src/engine/hf/test_model_files';
import type { TestHub } from '../src/engine/hf/test_hub_server';
import { TINY_VARIANTS, tinyCheckpoint } from '../src/engine/hf/tiny_checkpoint';
import { MEASURED, tinyModelFixture, watchConsole } from './helpers';

const REPO = 'test-org/tiny-judge';
let hub: TestHub;
let folder: string;
let stop: () => Promise<void>;
let tmp: string;
let adapterDir: string;
let wrongFiles: string[];

async function writeFolder(dir: string, files: Record<string, Uint8Array>) {
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
  return Object.keys(files).map((n) => join(dir, n));
}

test.beforeAll(async () => {
  ({ hub, folder, stop } = await tinyModelFixture(REPO));
  tmp = await mkdtemp(join(tmpdir(), 'rl-e2e-adapter-'));
  adapterDir = join(tmp, 'tiny-adapter');
  await writeFolder(adapterDir, await testAdapterFiles(testModelFiles(), 'test-org/other-base'));
  const other = tinyCheckpoint(TINY_VARIANTS.find((v) => v.name === 'mistral-linear-rope-f32')!).files;
  wrongFiles = await writeFolder(join(tmp, 'wrong'), await testAdapterFiles(other, 'test-org/mistral'));
  // PEFT writes the path the base was loaded from: a folder of the same name is the same base
  hub.commit('test-org/tiny-adapter', await testAdapterFiles(testModelFiles(), folder, { seed: 7 }));
});
test.afterAll(async () => {
  await stop();
  await rm(tmp, { recursive: true, force: true });
});

const judgeButton = (page: Page) => page.getByRole('button', { name: 'Judge', exact: true });

/** Judges the pair and returns the shown order's raw trace. */
async function judge(page: Page): Promise<string> {
  await judgeButton(page).click();
  await expect(page.getByTestId('judge-verdict')).toHaveText(/is better|no verdict/, { timeout: 300_000 });
  return (await page.getByTestId('trace-shown').getByTestId('tree-raw').textContent()) ?? '';
}

test('a PEFT adapter from a folder and from the Hub changes the judgement; a wrong one is refused', async ({
  page,
}, testInfo) => {
  test.setTimeout(600_000);
  const errors = watchConsole(page);
  await page.goto(`${MEASURED}#/judge`);
  const loader = page.getByTestId('judge-model-loader');
  await loader.getByText('Load a real model').click();
  await loader.getByLabel('local folder').check();
  await loader.getByTestId('model-folder-input').setInputFiles(folder);
  await expect(page.getByTestId('judge-model')).toContainText('Judging with tiny-folder (local folder), a real model');
  await page.getByLabel('question').fill('Name a color.');
  await page.getByLabel('response A').fill('Blue.');
  await page.getByLabel('response B').fill('Seven.');
  await page.getByLabel('max new tokens').fill('12');
  await expect(page.getByTestId('input-ok')).toContainText("of the model's 2048 context tokens");
  const base = await judge(page);

  // from a folder: shown with its settings, a warning naming both bases, and another judgement
  const picker = page.getByTestId('adapter-picker');
  await picker.getByText('Add a PEFT adapter').click();
  await picker.getByTestId('adapter-folder-input').setInputFiles(adapterDir);
  const on = picker.getByTestId('adapter-on');
  await expect(on).toContainText('With the PEFT adapter tiny-adapter: r = 4, α = 8 on q_proj, k_proj, v_proj');
  await expect(on).toContainText('(28 tensors), trained on test-org/other-base.');
  await expect(picker.getByTestId('adapter-warning')).toContainText(
    'the adapter was trained on "test-org/other-base" (its base_model_name_or_path), not on "tiny-folder"',
  );
  const adapted = await judge(page);
  expect(adapted).not.toBe(base);
  await page.screenshot({ path: testInfo.outputPath('judge-adapter.png'), fullPage: true });

  // another model's adapter, as its two files: refused naming the tensor and both shapes; the one on stays
  await picker.getByTestId('adapter-files-input').setInputFiles(wrongFiles);
  await expect(picker.getByTestId('adapter-error')).toContainText(
    'tensor "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight" is [4,32], the base needs [4,48]',
  );
  await expect(on).toContainText('With the PEFT adapter tiny-adapter:');

  // from the Hub (the loader's Hub URL): its base is the folder this model came from, so no warning
  await loader.getByLabel('Hugging Face Hub').check();
  await loader.getByLabel('Hub URL').fill(hub.url);
  await picker.getByLabel('adapter Hub id').fill('test-org/tiny-adapter');
  await picker.getByRole('button', { name: 'Fetch adapter' }).click();
  await expect(on).toContainText('With the PEFT adapter test-org/tiny-adapter: r = 4');
  await expect(picker.getByTestId('adapter-warning')).toHaveCount(0);
  await expect(picker.getByTestId('adapter-error')).toHaveCount(0);

  // taken off: the base's judgement again
  await picker.getByRole('button', { name: 'Take the adapter off' }).click();
  await expect(on).toHaveCount(0);
  expect(await judge(page)).toBe(base);
  expect(errors).toEqual([]);
});

// Shared e2e helpers: console error capture; a tiny real model served by the stand-in Hub and in a folder.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { startTestHub, type TestHub } from '../src/engine/hf/test_hub_server';
import { testModelFiles } from '../src/engine/hf/test_model_files';

/** The tiny test model committed to a stand-in Hub as `repo`, and the same files in a folder 'tiny-folder'. */
export async function tinyModelFixture(
  repo: string,
): Promise<{ hub: TestHub; folder: string; stop: () => Promise<void> }> {
  const files = testModelFiles();
  const hub = await startTestHub();
  hub.commit(repo, files);
  const tmp = await mkdtemp(join(tmpdir(), 'rl-e2e-model-'));
  const folder = join(tmp, 'tiny-folder');
  for (const [path, bytes] of Object.entries(files)) {
    await mkdir(dirname(join(folder, path)), { recursive: true });
    await writeFile(join(folder, path), bytes);
  }
  const stop = async () => {
    await hub.stop();
    await rm(tmp, { recursive: true, force: true });
  };
  return { hub, folder, stop };
}

/** The page as a returning visitor on this machine gets it: the backend the first visit's measurement picks
 * here (WASM over SwiftShader), without measuring again. The measurement itself (~35 s of the probe's budget
 * per fresh profile) is tested by backend_choice.spec.ts and first_visit.spec.ts's first test. */
export const MEASURED = '/?backend=wasm';

/** Collects console errors and uncaught page errors; assert it equals [] at the end. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/** Imports a checkpoint folder (config.json, model.safetensors, tokenizer.json) through the Runs page. */
export async function importCheckpoint(page: Page, dir: string, name: string): Promise<void> {
  await page.getByRole('link', { name: 'Runs & checkpoints' }).click();
  await page.getByLabel('imported checkpoint name').fill(name);
  const files = ['config.json', 'model.safetensors', 'tokenizer.json'].map((f) => `${dir}/${f}`);
  await page.getByTestId('import-checkpoint').setInputFiles(files);
  await page.getByTestId('checkpoint-row').filter({ hasText: name }).first().waitFor();
}

/** Selects the first option of a <select> whose text contains `text`. */
export async function selectByText(select: Locator, text: string): Promise<void> {
  const value = await select.locator('option', { hasText: text }).first().getAttribute('value');
  if (value === null) throw new Error(`no option containing "${text}"`);
  await select.selectOption(value);
}

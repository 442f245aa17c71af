// Shared e2e helpers: console error capture.
import type { Locator, Page } from '@playwright/test';

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

// A first visit in a fresh profile (real Chromium, WebGPU on SwiftShader), nothing imported or trained. Must
// hold: the Judge page opens with the shipped judge chosen and loaded, says what it can and cannot read,
// and a held-out example picked from "try an example" is judged: a verdict, both orders' rubric trees, the
// swap check and the example's label; the choice of checkpoint survives a reload; the group view's demo
// starts by itself from the shipped distilled judge and shows G judgements per group with at least one group
// of mixed rewards (non-zero advantages summing to ~0); the step-through's demo starts from the shipped
// distilled judge. No console errors. The README's judge.png, groups.png and step-through.png are these
// tests' screenshots.
import { expect, test } from '@playwright/test';
import { watchConsole } from './helpers';

const G = 6; // the group view demo's judgements per prompt (state/groups_demo_actions.ts)
/** The README's example: a chat pair whose rubric has two checks (the shipped judge gets it right in both
 * orders; any verdict passes here). */
const EXAMPLE = 'Name birds: lowercase, end with .';

test('the Judge page judges an example with the shipped judge; the choice survives a reload', async ({
  page,
}, info) => {
  test.setTimeout(300_000);
  const errors = watchConsole(page);
  await page.goto('/');
  await page.getByRole('link', { name: 'Judge' }).click();
  const checkpoint = page.getByLabel('checkpoint', { exact: true });
  await expect(checkpoint).toHaveValue('builtin:tiny/judge');
  await expect(page.getByTestId('shipped-note')).toContainText('cannot read arbitrary real text');
  await expect(page.getByTestId('shipped-accuracy')).toContainText(/Held-out accuracy as shipped: \d+\.\d%/);

  const examples = page.getByLabel('try an example');
  await examples.selectOption({ label: EXAMPLE });
  await expect(page.getByLabel('question')).not.toHaveValue('');
  await expect(page.getByTestId('input-ok')).toContainText('context tokens'); // the shipped tokenizer was read
  await expect(page.getByTestId('dataset-label')).toHaveCount(0); // the label waits for the verdict
  await page.getByRole('button', { name: 'Judge', exact: true }).click();

  await expect(page.getByTestId('judge-verdict')).toHaveText(/^[AB] is better$/, { timeout: 180_000 });
  for (const order of ['trace-shown', 'trace-swapped']) {
    const panel = page.getByTestId(order);
    await expect(panel.getByTestId('rubric-tree')).toBeVisible();
    await expect(panel.getByTestId('tree-verdict')).toHaveText(/verdict \[\[[AB]\]\]/);
  }
  await expect(page.getByTestId('swap-check')).toHaveText(/Swap check \(B shown first\): [AB] is better — /);
  await expect(page.getByTestId('dataset-label')).toHaveText(
    /Dataset label: [AB] is better — the judge is (right|wrong)/,
  );
  await page.screenshot({ path: info.outputPath('judge.png'), fullPage: true });

  await checkpoint.selectOption('builtin:tiny/distilled');
  await page.reload();
  await expect(page.getByLabel('checkpoint', { exact: true })).toHaveValue('builtin:tiny/distilled');
  expect(errors).toEqual([]);
});

test("the group view's demo from the shipped distilled judge shows mixed rewards", async ({ page }, info) => {
  test.setTimeout(360_000);
  const errors = watchConsole(page);
  await page.goto('/');
  await page.getByRole('link', { name: 'GRPO groups' }).click();
  const demo = page.getByTestId('groups-demo');
  await expect(demo.getByLabel('demo step weights')).toHaveValue('builtin:tiny/distilled');
  const rows = demo.getByTestId('group-row');
  await expect(rows).toHaveCount(4, { timeout: 300_000 }); // 2 pairs, each in both A/B orders
  let mixed = -1;
  for (const [k, row] of (await rows.all()).entries()) {
    const judgements = row.getByTestId('judgement');
    await expect(judgements).toHaveCount(G);
    const adv = await judgements.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-advantage'))));
    if ((await row.getByTestId('zero-std').count()) > 0) expect(adv.every((a) => a === 0)).toBe(true);
    else {
      if (mixed < 0) mixed = k;
      expect(adv.some((a) => a !== 0)).toBe(true);
      expect(Math.abs(adv.reduce((a, b) => a + b, 0))).toBeLessThan(1e-6);
    }
  }
  expect(mixed, 'at least one group with mixed rewards').toBeGreaterThanOrEqual(0);
  await rows.nth(mixed).getByTestId('judgement').first().click();
  await expect(demo.getByTestId('token-trace')).toBeVisible();
  await page.screenshot({ path: info.outputPath('groups.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test("the step-through's demo starts from the shipped distilled judge", async ({ page }, info) => {
  test.setTimeout(360_000);
  const errors = watchConsole(page);
  await page.goto('/');
  await page.getByRole('link', { name: 'Step-through' }).click();
  await expect(page.getByLabel('demo weights')).toHaveValue('builtin:tiny/distilled');
  await page.getByTestId('st-demo').click();
  for (const s of ['sample', 'score', 'advantages']) {
    await page.getByTestId('st-next').click();
    await expect(page.getByTestId('stage-current')).toHaveAttribute('data-stage', s, { timeout: 240_000 });
  }
  await expect(page.getByTestId('advantage-group')).toHaveCount(2); // 2 prompts
  await page.screenshot({ path: info.outputPath('step-through.png'), fullPage: true });
  expect(errors).toEqual([]);
});

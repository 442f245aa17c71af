// runData, the one way a run's data is put together for the CLI's --distill / --grpo-data and the page's
// dataset choices: a dataset's traced pairs replace the world's oracle traces (untraced ones left out, 5% and
// at least 8 held out for the loss), its labelled pairs replace the world's GRPO pairs, and a dataset with no
// trace at all, or too few to train on once 8 are held out, is refused saying so — not silently distilled on the
// world's, nor with advice about the world's size.
import { describe, expect, it } from 'vitest';
import type { Pair } from '../rm/pair';
import { runData, worldData, worldSplits } from './pipeline';
import { applyOverrides, RUN_DEFAULTS } from './run_config';

const run = applyOverrides(RUN_DEFAULTS, { 'world.nDistill': '12', 'world.nGrpo': '4', 'world.nEval': '2' });
const { distill, distillHeldOut } = worldSplits(run);
const world = [...distillHeldOut, ...distill]; // 12 traced pairs
const traced: Pair[] = world.map((d, i) => ({ ...d.pair, id: `t${i}`, meta: { trace: `trace ${i}` } }));
const untraced: Pair[] = world.slice(0, 3).map((d, i) => ({ ...d.pair, id: `u${i}` }));

describe('runData', () => {
  it('distils on the traced pairs of a dataset and runs GRPO on its pairs, the rest from the world', () => {
    const grpoPairs = untraced.slice(0, 2);
    const data = runData(run, { distillPairs: [...untraced, ...traced], grpoPairs });
    expect(data.distillHeldOut.map((x) => x.trace)).toEqual(traced.slice(0, 8).map((p) => p.meta!.trace));
    expect(data.distill.map((x) => x.trace)).toEqual(traced.slice(8).map((p) => p.meta!.trace));
    expect(data.distill).toHaveLength(4);
    expect(data.grpo).toBe(grpoPairs);
    expect(data.eval).toEqual(worldData(run).eval);
  });

  it("keeps the world's data without a dataset, and refuses a dataset without a single trace", () => {
    expect(runData(run)).toEqual(worldData(run));
    expect(() => runData(run, { distillPairs: untraced })).toThrow(
      /distillation dataset: none of its 3 pairs carries a judge trace/,
    );
    // not "raise world.nDistill": the world's traces are not what it would distil on
    expect(() => runData(run, { distillPairs: traced.slice(0, 8) })).toThrow(
      /distillation dataset: its 8 traced pairs are all held out for the loss \(5%, at least 8\)/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { oracleTrace } from '../rm/oracle';
import { namedTokenizer } from '../rm/world_vocab';
import { generatePairs, makeSplits } from '../rm/world';
import { worldOptions } from './pipeline';
import { applyOverrides, diffFromDefaults, fieldTable, HELP, RUN_DEFAULTS } from './run_config';

describe('run config field table', () => {
  it('lists every leaf once, with its type', () => {
    const keys = fieldTable().map((f) => f.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain('grpo.beta');
    expect(fieldTable().find((f) => f.key === 'sft.lr')?.type).toBe('number');
  });
  it('explains every setting in one line, and lists the options of each choice', () => {
    for (const f of fieldTable()) {
      expect(f.help.length, f.key).toBeGreaterThan(15);
      expect(f.help, f.key).not.toContain('\n');
    }
    expect(fieldTable().find((f) => f.key === 'grpo.lossType')?.options).toEqual([
      'token_mean',
      'seq_mean_token_mean',
      'dr_grpo',
    ]);
    expect(Object.keys(HELP).sort()).toEqual(
      fieldTable()
        .map((f) => f.key)
        .sort(),
    ); // no help for a setting that is gone
  });
  it('applies overrides and round-trips through the diff', () => {
    const cfg = applyOverrides(RUN_DEFAULTS, { 'grpo.beta': '0.01', preset: 'nano', noRubric: 'true' });
    expect(cfg.grpo.beta).toBe(0.01);
    expect(cfg.preset).toBe('nano');
    expect(RUN_DEFAULTS.grpo.beta).toBe(0.001); // defaults untouched
    expect(diffFromDefaults(cfg)).toEqual({ 'grpo.beta': '0.01', preset: 'nano', noRubric: 'true' });
    expect(applyOverrides(RUN_DEFAULTS, diffFromDefaults(cfg))).toEqual(cfg);
  });
  it('refuses unknown keys, non-numbers, bad booleans and bad enum values, naming the key', () => {
    expect(() => applyOverrides(RUN_DEFAULTS, { 'grpo.betta': '1' })).toThrow(/Unknown setting "grpo.betta"/);
    expect(() => applyOverrides(RUN_DEFAULTS, { 'sft.lr': 'fast' })).toThrow(/"sft.lr" must be a number/);
    expect(() => applyOverrides(RUN_DEFAULTS, { noRubric: 'yes' })).toThrow(/"noRubric" must be true or false/);
    expect(() => applyOverrides(RUN_DEFAULTS, { 'grpo.lossType': 'mean' })).toThrow(/"grpo.lossType" must be one of/);
  });
  it('draws only the reasoning tasks listed in world.reasoningTasks, and names an unknown one', () => {
    const run = applyOverrides(RUN_DEFAULTS, { 'world.reasoningTasks': 'count, add' });
    const tasks = new Set(
      makeSplits({ ...worldOptions(run), nDistill: 200, nGrpo: 0, nEval: 0 })
        .distill.filter((d) => d.pair.category === 'reasoning')
        .map((d) => d.pair.subset),
    );
    expect([...tasks].sort()).toEqual(['add', 'count']);
    expect(() => worldOptions(applyOverrides(RUN_DEFAULTS, { 'world.reasoningTasks': 'add,divide' }))).toThrow(
      /world.reasoningTasks: unknown task "divide"; choose from add, sub/,
    );
    expect(() => worldOptions(applyOverrides(RUN_DEFAULTS, { 'world.reasoningTasks': ' , ' }))).toThrow(
      /no task given/,
    );
  });
  it('every oracle trace fits: a correct judgement is never cut off (scored −1) by the default caps', () => {
    const tok = namedTokenizer(RUN_DEFAULTS.tokenizer);
    const longest = Math.max(
      ...generatePairs({ ...worldOptions(RUN_DEFAULTS), seed: 5, n: 1000 }).map(
        (p) => tok.encode(oracleTrace(p), { eos: true }).ids.length,
      ),
    );
    expect(longest).toBeLessThanOrEqual(RUN_DEFAULTS.grpo.maxCompletionLength);
    expect(longest).toBeLessThanOrEqual(RUN_DEFAULTS.eval.maxCompletionLength);
  });

  it(
    'the default world has enough distinct prompts for its disjoint splits, and the default GRPO steps never run ' +
      'out of pairs',
    () => {
      const w = RUN_DEFAULTS.world;
      const splits = makeSplits(worldOptions(RUN_DEFAULTS));
      expect([splits.distill.length, splits.grpo.length, splits.eval.length]).toEqual([w.nDistill, w.nGrpo, w.nEval]);
      const pairsPerStep = RUN_DEFAULTS.grpo.promptsPerStep / (RUN_DEFAULTS.grpo.bothOrders ? 2 : 1);
      expect(RUN_DEFAULTS.grpo.steps * pairsPerStep).toBeLessThanOrEqual(w.nGrpo);
    },
  );
});

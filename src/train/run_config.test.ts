import { describe, expect, it } from 'vitest';
import { oracleTrace } from '../rm/oracle';
import { DEFAULT_KNOBS, generatePairs, makeSplits } from '../rm/world';
import { namedTokenizer } from '../rm/world_vocab';
import { DIAGNOSE_DEFAULTS } from './diagnose';
import { EVAL_DEFAULTS } from './evaluate';
import { GRPO_DEFAULTS } from './grpo_run';
import { JUDGE_DEFAULTS } from './judge';
import { worldOptions } from './pipeline';
import {
  applyOverrides,
  diffFromDefaults,
  fieldOf,
  fieldTable,
  MAX_JUDGEMENT_TOKENS,
  RUN_DEFAULTS,
} from './run_config';
import { RUN_PRESETS, runPresetConfig } from './run_presets';

describe('run config field table', () => {
  it('lists every leaf once, with its type and input kind', () => {
    const keys = fieldTable().map((f) => f.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain('grpo.beta');
    expect(fieldOf('sft.lr')?.type).toBe('number');
    expect(fieldOf('sft.lr')?.input).toBe('number');
    expect(fieldOf('grpo.lossType')?.input).toBe('select');
    expect(fieldOf('noRubric')?.input).toBe('checkbox');
  });

  it('explains every setting in one line, and lists the options of each choice', () => {
    for (const f of fieldTable()) {
      expect(f.help.length, f.key).toBeGreaterThan(15);
      expect(f.help, f.key).not.toContain('\n');
      expect(f.allowed.length, f.key).toBeGreaterThan(5);
    }
    expect(fieldOf('grpo.lossType')?.options).toEqual(['token_mean', 'seq_mean_token_mean', 'dr_grpo']);
  });

  it('every default is accepted by its own rule and round-trips through its text', () => {
    for (const f of fieldTable()) {
      const r = f.parse(f.format(f.default));
      expect(r.ok && r.value, f.key).toEqual(f.default);
    }
  });

  it('"Ranges, not only types": every number has a range; past either end is refused naming setting, value', () => {
    const numeric = fieldTable().filter((f) => f.type === 'number');
    expect(numeric.length).toBeGreaterThan(30);
    for (const f of numeric) {
      expect(Number.isFinite(f.min) && Number.isFinite(f.max), f.key).toBe(true);
      expect(f.default as number, f.key).toBeGreaterThanOrEqual(f.min!);
      expect(f.default as number, f.key).toBeLessThanOrEqual(f.max!);
      const range = `from ${f.min} to ${f.max}`;
      for (const bad of [String(f.min! - 1), String(f.max! * 10 + 1), 'abc', '']) {
        expect(() => applyOverrides(RUN_DEFAULTS, { [f.key]: bad }), `${f.key}=${bad}`).toThrow(
          `Setting "${f.key}" must be ${f.integer ? 'a whole number' : 'a number'} ${range} (got "${bad}")`,
        );
      }
    }
  });

  it("issue 15.8's values are refused, each naming the setting, the value and the range", () => {
    const refused = (key: string, raw: string) => () => applyOverrides(RUN_DEFAULTS, { [key]: raw });
    expect(refused('sft.lr', '-5')).toThrow('Setting "sft.lr" must be a number from 0 to 1 (got "-5")');
    expect(refused('grpo.steps', '1e12')).toThrow(/"grpo.steps" must be a whole number from 1 to 10000 \(got "1e12"\)/);
    expect(refused('grpo.steps', '-3')).toThrow(/"grpo.steps" must be a whole number from 1/);
    expect(refused('seed', '1.5')).toThrow(/"seed" must be a whole number from 0 to 4294967295 \(got "1.5"\)/);
    expect(refused('sft.batchSize', '0')).toThrow(/"sft.batchSize" must be a whole number from 1 to 512/);
    expect(refused('sft.epochs', '1.5')).toThrow(/"sft.epochs" must be a whole number/);
    expect(refused('grpo.topP', '7')).toThrow(/"grpo.topP" must be a number from 0.01 to 1 \(got "7"\)/);
    expect(refused('world.nEval', '-3')).toThrow(/"world.nEval" must be a whole number from 1 to 20000/);
    expect(refused('world.nDistill', '-5')).toThrow(/"world.nDistill" must be a whole number from 0/);
  });

  it('applies overrides and round-trips through the diff', () => {
    const cfg = applyOverrides(RUN_DEFAULTS, { 'grpo.beta': '0.01', preset: 'nano', noRubric: 'true' });
    expect(cfg.grpo.beta).toBe(0.01);
    expect(cfg.preset).toBe('nano');
    expect(RUN_DEFAULTS.grpo.beta).toBe(0.001); // defaults untouched
    expect(diffFromDefaults(cfg)).toEqual({ 'grpo.beta': '0.01', preset: 'nano', noRubric: 'true' });
    expect(applyOverrides(RUN_DEFAULTS, diffFromDefaults(cfg))).toEqual(cfg);
  });

  it('refuses unknown keys, non-numbers, bad booleans and bad enum values, naming the key and the options', () => {
    expect(() => applyOverrides(RUN_DEFAULTS, { 'grpo.betta': '1' })).toThrow(/Unknown setting "grpo.betta"/);
    expect(() => applyOverrides(RUN_DEFAULTS, { constructor: '1' })).toThrow(/Unknown setting "constructor"/);
    expect(() => applyOverrides(RUN_DEFAULTS, { 'sft.lr': 'fast' })).toThrow(/"sft.lr" must be a number/);
    expect(() => applyOverrides(RUN_DEFAULTS, { noRubric: 'yes' })).toThrow(/"noRubric" must be true or false/);
    expect(() => applyOverrides(RUN_DEFAULTS, { 'grpo.lossType': 'mean' })).toThrow(
      'Setting "grpo.lossType" must be one of token_mean, seq_mean_token_mean, dr_grpo (got "mean")',
    );
  });

  it('"Text settings drawn as number inputs": lists are lists, edited by item and never emptied by a bad entry', () => {
    expect(fieldOf('world.reasoningTasks')).toMatchObject({ type: 'list', input: 'checkboxes' });
    expect(fieldOf('world.reasoningTasks')?.options).toEqual(['add', 'sub', 'muladd', 'reverse', 'sort', 'count']);
    expect(fieldOf('grpo.categories')).toMatchObject({ type: 'list', input: 'text' });
    expect(applyOverrides(RUN_DEFAULTS, { 'world.reasoningTasks': ' count, add ' }).world.reasoningTasks).toBe(
      'count,add',
    );
    expect(() => applyOverrides(RUN_DEFAULTS, { 'world.reasoningTasks': '' })).toThrow(/at least 1/);
    expect(applyOverrides(RUN_DEFAULTS, { 'grpo.categories': 'reasoning, chat-hard/x' }).grpo.categories).toBe(
      'reasoning,chat-hard/x',
    );
    expect(applyOverrides(RUN_DEFAULTS, { 'grpo.categories': '' }).grpo.categories).toBe(''); // all
    expect(() => applyOverrides(RUN_DEFAULTS, { 'grpo.categories': '5' })).toThrow(
      /"grpo.categories" must be .*: "5" is not a category \(chat, chat-hard, safety, reasoning\) \(got "5"\)/,
    );
  });

  it('"Defaults that disagree": one world default for the run and rm/world (digits 1/2, constraints 2/3 once)', () => {
    for (const k of ['digits', 'maxConstraints', 'maxWords'] as const)
      expect(RUN_DEFAULTS.world[k], k).toBe(DEFAULT_KNOBS[k]);
    expect(RUN_DEFAULTS.world.reasoningTasks).toBe(DEFAULT_KNOBS.reasoningTasks.join(','));
  });

  it('"Defaults that disagree": one judgement cap for GRPO, evaluation, diagnosis and the Judge page', () => {
    const caps = [
      RUN_DEFAULTS.grpo.maxCompletionLength,
      RUN_DEFAULTS.eval.maxCompletionLength,
      EVAL_DEFAULTS.maxCompletionLength,
      DIAGNOSE_DEFAULTS.maxCompletionLength,
      JUDGE_DEFAULTS.maxNewTokens,
    ];
    expect(caps).toEqual(caps.map(() => MAX_JUDGEMENT_TOKENS));
    for (const p of RUN_PRESETS) expect(Object.keys(p.overrides).filter((k) => /CompletionLength/.test(k))).toEqual([]);
    expect(GRPO_DEFAULTS).toBe(RUN_DEFAULTS.grpo);
  });

  it('every preset is a valid override of the defaults', () => {
    for (const p of RUN_PRESETS) expect(() => runPresetConfig(p.id), p.id).not.toThrow();
  });

  it('draws only the reasoning tasks listed in world.reasoningTasks, and names an unknown one', () => {
    const run = applyOverrides(RUN_DEFAULTS, { 'world.reasoningTasks': 'count, add' });
    const tasks = new Set(
      makeSplits({ ...worldOptions(run), nDistill: 200, nGrpo: 0, nEval: 0 })
        .distill.filter((d) => d.pair.category === 'reasoning')
        .map((d) => d.pair.subset),
    );
    expect([...tasks].sort()).toEqual(['add', 'count']);
    expect(() => applyOverrides(RUN_DEFAULTS, { 'world.reasoningTasks': 'add,divide' })).toThrow(
      /"world.reasoningTasks" must be a comma-separated list of add, sub, .*: unknown "divide"/,
    );
    expect(() => applyOverrides(RUN_DEFAULTS, { 'world.reasoningTasks': ' , ' })).toThrow(/at least 1/);
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

// A run's memory before Start: the default recipe's two stages fit on a plain adapter; a GPU budget below a
// stage's peak refuses the run with the numbers and names the micro-batch/recompute settings that fit, and
// those settings then pass; a LoRA run trains the adapters alone (a plan that ignored the run's settings, or
// a refusal that suggested settings that still do not fit, fails here). The Train page's table shows it.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { TrainMemoryPlan } from '../ui/components/MemoryPlan/TrainMemoryPlan';
import { freshConfig } from './pipeline';
import { applyOverrides, RUN_DEFAULTS, type RunConfig } from './run_config';
import { memoryRefusal, runLimits, runMemory } from './run_memory';

const shapes = { promptLen: 90, traceLen: 130 };
const plans = (run: RunConfig) => runMemory(run, freshConfig(run).cfg, shapes, runLimits(run, null));

describe('run memory', () => {
  it('plans both stages of the default recipe, which fit', () => {
    const stages = plans(RUN_DEFAULTS);
    expect(stages.map((s) => s.stage)).toEqual(['sft', 'grpo']);
    expect(stages[0].request).toMatchObject({ rows: 16, microBatch: 0, length: 224 });
    expect(stages[1].request).toMatchObject({ rows: 192, microBatch: 48 });
    // the loss's head runs over the prompt's last position and the judgement padded to the length bucket (16)
    const sampling = { sequences: 192, prompts: 32, promptTokens: 90, newTokens: 144, headTokens: 145 };
    expect(stages[1].request.sampling).toEqual(sampling);
    expect(stages[1].request.length).toBe(96 + 144 - 1);
    const short = plans({ ...RUN_DEFAULTS, grpo: { ...RUN_DEFAULTS.grpo, maxCompletionLength: 100 } })[1].request;
    expect([short.length, short.sampling?.headTokens]).toEqual([96 + 112 - 1, 113]);
    expect(memoryRefusal(stages)).toBeNull();
  });

  it('refuses past the GPU budget with the numbers and what fits, which then fits', () => {
    const sft = plans(applyOverrides(RUN_DEFAULTS, { stage: 'sft' }))[0];
    const budget = Math.floor(sft.plan.totalBytes / 2 ** 20 / 2); // half the step's peak, in MiB
    const run = applyOverrides(RUN_DEFAULTS, { stage: 'sft', gpuMemory: String(budget) });
    const refusal = memoryRefusal(plans(run))!;
    expect(refusal).toMatch(
      /^Distillation does not fit in memory \(step peak [\d.]+ [MG]iB\): .*past the device budget/,
    );
    const fix = refusal.match(/It fits with sft\.microBatch (\d+)( and sft\.recompute on)?\./)!;
    const fixed = applyOverrides(run, { 'sft.microBatch': fix[1], 'sft.recompute': String(!!fix[2]) });
    expect(memoryRefusal(plans(fixed))).toBeNull();
    const html = renderToStaticMarkup(createElement(TrainMemoryPlan, { stages: plans(run), limits: null, budget }))
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ');
    expect(html).toContain('does not fit');
    expect(html).toMatch(/fits with sft\.microBatch \d+/);
    expect(html).toContain('adapter limits no WebGPU adapter here: not checked');
  });

  it('trains the adapters alone with LoRA', () => {
    const run = applyOverrides(RUN_DEFAULTS, { 'lora.rank': '8' });
    const [sft] = plans(run);
    expect(sft.request.lora).toEqual({ rank: 8, targets: RUN_DEFAULTS.lora.targets.split(',') });
    expect(sft.plan.trained).toBeLessThan(sft.plan.params / 2);
    expect(sft.plan.frozenBytes).toBe(sft.plan.params * 4);
  });
});

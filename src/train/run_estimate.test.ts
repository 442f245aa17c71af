// The run estimate against a hand count: stand-in step times whose unit costs are round numbers (1 ms per
// trained token, decode steps of 10 ms + 1 ms per row), a small recipe, and each phase counted by hand from
// the pipeline's units (SFT steps, evaluation batches, GRPO steps with their generation and loss passes).
// Then the shapes a run's world gives: the recipe's counts, and lengths that follow the tokenizer and the
// no-rubric ablation.
import { describe, expect, it } from 'vitest';
import type { StepTimes } from '../engine/backend_choice';
import { applyOverrides, RUN_DEFAULTS } from './run_config';
import { estimateRun, FORWARD_SHARE, GRPO_RUNAWAY, type RunShapes, runShapes, unitCosts } from './run_estimate';

const TIMES: StepTimes = {
  shape: { batch: 16, seqLen: 100, decodeBatches: [10, 110], promptLength: 8, cacheLength: 192 },
  firstStepMs: 5000,
  trainMs: 1600, // 1 ms per token
  decodeMs: [20, 120], // 10 ms + 1 ms per row
  totalMs: 9000,
};
const SHAPES: RunShapes = {
  context: 256,
  distill: 100,
  heldOut: 8,
  sftSeqLen: 80,
  promptLen: 48,
  traceLen: 60,
  evalRows: 40,
};
const RUN = applyOverrides(RUN_DEFAULTS, {
  'sft.batchSize': '10',
  'sft.epochs': '2',
  'sft.evalEvery': '0',
  'eval.batchSize': '16',
  'grpo.promptsPerStep': '4',
  'grpo.numGenerations': '3',
  'grpo.steps': '5',
});

describe('estimateRun', () => {
  it('recovers the unit costs from the probe', () => {
    const u = unitCosts(TIMES);
    expect(u.trainPerToken).toBeCloseTo(1, 12);
    expect(u.forwardPerToken).toBeCloseTo(FORWARD_SHARE, 12);
    expect(u.decode(0, 192)).toBeCloseTo(10, 12);
    expect(u.decode(50, 192)).toBeCloseTo(60, 12);
    expect(u.decode(50, 96)).toBeCloseTo(35, 12); // the per-row part reads half the cache
  });

  it('counts every phase as the pipeline runs it', () => {
    const e = estimateRun(RUN, SHAPES, TIMES);
    const f = FORWARD_SHARE;
    // SFT: ceil(100 / 10) × 2 = 20 steps of 10 × 80 tokens; one held-out loss at the end (8 × 80 forward)
    const sft = 20 * 10 * 80 + 8 * 80 * f;
    // evaluation: 40 rows in batches of 16, 16, 8; each prefill (rows × 48 forward) and 64 decode steps
    // (the 60-token trace rounded up to a readback of 16) of 10 + rows ms (the cache is 48 + 144 = 192)
    const batch = (rows: number) => rows * 48 * f + 64 * (10 + rows);
    const evaluation = 2 * batch(16) + batch(8);
    // GRPO step: 12 judgements of 4 prompts (each prefilled once); decode steps 64, or the cap of 144 for a runaway
    const steps = (1 - GRPO_RUNAWAY) * 64 + GRPO_RUNAWAY * 144;
    const tokens = 12 * (48 + Math.ceil(steps / 16) * 16);
    const grpoStep = 4 * 48 * f + steps * (10 + 12) + tokens * (2 * f + 1); // ℓp_ref, Σ ℓp after; loss + backward
    const want = [sft, evaluation, 5 * grpoStep, evaluation].map((ms) => ms / 1000);
    expect(e.phases.map((p) => p.phase)).toEqual(['sft', 'eval-sft', 'grpo', 'eval-grpo']);
    e.phases.forEach((p, i) => {
      expect(p.seconds).toBeCloseTo(want[i], 9);
    });
    expect(e.seconds).toBeCloseTo(
      want.reduce((a, b) => a + b),
      9,
    );
  });

  it('scales with the settings: epochs, GRPO steps, stages', () => {
    const base = estimateRun(RUN, SHAPES, TIMES);
    const twice = estimateRun(applyOverrides(RUN, { 'sft.epochs': '4', 'grpo.steps': '10' }), SHAPES, TIMES);
    const at = (e: typeof base, p: string) => e.phases.find((x) => x.phase === p)!.seconds;
    const heldOut = (8 * 80 * FORWARD_SHARE) / 1000; // one held-out loss either way
    expect(at(twice, 'sft') - heldOut).toBeCloseTo(2 * (at(base, 'sft') - heldOut), 9);
    expect(at(twice, 'grpo')).toBeCloseTo(2 * at(base, 'grpo'), 9);
    const sftOnly = estimateRun(applyOverrides(RUN, { stage: 'sft' }), SHAPES, TIMES);
    expect(sftOnly.phases.map((p) => p.phase)).toEqual(['sft', 'eval-sft']);
  });
});

describe('runShapes', () => {
  it("gives the recipe's counts and lengths that fit its model", () => {
    const s = runShapes(RUN_DEFAULTS);
    expect(s).toMatchObject({ context: 256, distill: 3040, heldOut: 160, evalRows: 600 });
    expect(s.promptLen).toBeGreaterThan(10);
    expect(s.promptLen + RUN_DEFAULTS.grpo.maxCompletionLength).toBeLessThanOrEqual(256);
    expect(s.traceLen).toBeGreaterThan(20);
    expect(s.traceLen).toBeLessThan(RUN_DEFAULTS.grpo.maxCompletionLength); // the compact traces are never cut
    expect(s.sftSeqLen).toBeGreaterThan(s.traceLen);
  });

  it('follows the tokenizer and the no-rubric ablation', () => {
    const world = runShapes(RUN_DEFAULTS);
    const chars = runShapes(applyOverrides(RUN_DEFAULTS, { tokenizer: 'char' }));
    const noRubric = runShapes(applyOverrides(RUN_DEFAULTS, { noRubric: 'true' }));
    expect(chars.traceLen).toBeGreaterThan(world.traceLen); // a world word is one token, a character is one
    expect(noRubric.traceLen).toBeLessThan(world.traceLen);
  });
});

// The exported reward.py, run by this machine's python3, gives our reward (train/grpo_step.ts scoreStage, the
// code GRPO scores with) on 1,000+ judgements: the world's oracle traces as written, with the other label,
// cut off at the length limit, stopped early, garbled, with an injected or a second answer block, with text
// or emoji after the verdict around the 80-character edge (UTF-16 units, as JavaScript counts), loose
// spellings of the tag, and empty. Both entry points: TRL's reward and verl's manager + compute_score.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../../engine/rng';
import type { Verdict } from '../../rm/cor_parser';
import type { Pair } from '../../rm/pair';
import { makeSplits } from '../../rm/world';
import { scoreStage } from '../grpo_step';
import type { SampleStage } from '../grpo_types';
import { rewardPy } from './reward_py';

interface Judgement {
  text: string;
  stopped: boolean;
  label: Verdict;
  what: string;
}

const other = (v: Verdict): Verdict => (v === 'A' ? 'B' : 'A');
const tag = (v: Verdict) => `<answer>[[${v}]]</answer>`;
const pick = (rng: Rng, n: number) => Math.floor(rng.next() * n);
const GARBLE = 'AB[]<>/ansewr x';

function garble(text: string, rng: Rng): string {
  const chars = [...text];
  for (let k = 0; k < 3; k++) {
    const at = chars.length - 1 - pick(rng, Math.min(30, chars.length));
    chars[at] = GARBLE[pick(rng, GARBLE.length)];
  }
  return chars.join('');
}

/** Mutations of one oracle trace whose right verdict is `w`. */
function judgementsOf(trace: string, w: Verdict, rng: Rng): Judgement[] {
  const j = (what: string, text: string, stopped = true, label = w): Judgement => ({ text, stopped, label, what });
  const cut = pick(rng, trace.length);
  const inject = pick(rng, trace.length);
  return [
    j('oracle', trace),
    j('oracle, other label', trace, true, other(w)),
    j('oracle, cut off at the limit', trace, false),
    j('stopped early', trace.slice(0, cut)),
    j('cut off early', trace.slice(0, cut), false),
    j('garbled', garble(trace, rng)),
    j('garbled, other label', garble(trace, rng), true, other(w)),
    j('other verdict injected', trace.slice(0, inject) + tag(other(w)) + trace.slice(inject)),
    j('two answer blocks', trace + tag(other(w))),
    j('the same answer twice', trace + tag(w)),
    j('text after, 58', `${trace}${'x'.repeat(58)}`),
    j('text after, 59', `${trace}${'x'.repeat(59)}`),
    j('emoji after, 29', trace + '😀'.repeat(29)), // 22 + 58 UTF-16 units: still in
    j('emoji after, 30', trace + '😀'.repeat(30)), // 22 + 60: out (in code points it would be in)
    j('emoji split at the edge', `${trace}x${'😀'.repeat(29)}`),
    j('spaces in the tag', trace.replace(`[[${w}]]`, ` [[${w}]] `)),
    j('lower case', trace.replace(`[[${w}]]`, `[[${w.toLowerCase()}]]`)),
    j('bare verdict', trace.replace(tag(w), `[[${w}]]`)),
  ];
}

function judgements(): Judgement[] {
  const rng = createRng(11);
  const world = makeSplits({ seed: 5, nDistill: 60, nGrpo: 0, nEval: 0 });
  const out = world.distill.flatMap((d) => judgementsOf(d.trace, d.pair.winner as Verdict, rng));
  return [
    ...out,
    { text: '', stopped: true, label: 'A', what: 'empty' },
    { text: '', stopped: false, label: 'B', what: 'empty, cut off' },
  ];
}

/** Our rewards: the GRPO step's own scoring stage, one group per judgement. */
function ourRewards(js: Judgement[]): number[] {
  const sample: SampleStage = {
    pairs: js.map((x, i): Pair => ({ id: `j${i}`, prompt: '', a: '', b: '', winner: x.label, source: 'test' })),
    promptIds: js.map(() => []),
    completions: js.map((x, i) => ({
      group: i,
      tokens: [],
      pieces: [],
      logps: [],
      text: x.text,
      stopReason: x.stopped ? ('eos' as const) : ('length' as const),
    })),
  };
  return scoreStage(sample).rewards;
}

const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
const hasPython = python.status === 0;
if (!hasPython) console.warn('reward_py.test: skipped, python3 is not on this machine');

describe.skipIf(!hasPython)('reward.py against our reward', () => {
  it('gives our reward on every judgement, through TRL’s and verl’s entry points', () => {
    const js = judgements();
    const ours = ourRewards(js);
    expect(js.length).toBeGreaterThanOrEqual(500);
    // the cases cover both outcomes, and the edges decide: ≥ 100 of each reward
    expect(ours.filter((r) => r === 1).length).toBeGreaterThan(100);
    expect(ours.filter((r) => r === -1).length).toBeGreaterThan(100);
    const dir = mkdtempSync(join(tmpdir(), 'rl-reward-'));
    writeFileSync(join(dir, 'reward.py'), rewardPy());
    copyFileSync(join(__dirname, 'testdata', 'check_reward.py'), join(dir, 'check_reward.py'));
    const rows = js.map((x) =>
      JSON.stringify({ text: x.text, stopped: x.stopped, winner: `model_${x.label.toLowerCase()}` }),
    );
    writeFileSync(join(dir, 'cases.jsonl'), `${rows.join('\n')}\n`);
    const run = spawnSync('python3', [join(dir, 'check_reward.py'), dir], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    const got = JSON.parse(run.stdout) as {
      trl: number[];
      verl: number[];
      refuses_unmarked: boolean;
      refuses_tie: boolean;
    };
    for (const entry of ['trl', 'verl'] as const) {
      const wrong = js.flatMap((x, i) =>
        got[entry][i] === ours[i] ? [] : [`${x.what}: ${got[entry][i]} ≠ ${ours[i]}`],
      );
      console.log(`${entry}: ${js.length - wrong.length} of ${js.length} judgements score as ours`);
      expect(wrong).toEqual([]);
    }
    expect(got.refuses_unmarked).toBe(true); // verl without the manager fails loudly
    expect(got.refuses_tie).toBe(true); // RM-R1 refuses a label other than model_a / model_b
  });

  it('scores the edge cases as their names say', () => {
    const js = judgements();
    const ours = ourRewards(js);
    const first = (what: string) => ours[js.findIndex((x) => x.what === what)];
    expect([first('oracle'), first('oracle, other label'), first('oracle, cut off at the limit')]).toEqual([1, -1, -1]);
    expect([first('text after, 58'), first('text after, 59')]).toEqual([1, -1]);
    expect([first('emoji after, 29'), first('emoji after, 30')]).toEqual([1, -1]);
    expect([first('two answer blocks'), first('the same answer twice'), first('empty')]).toEqual([-1, 1, -1]);
  });
});

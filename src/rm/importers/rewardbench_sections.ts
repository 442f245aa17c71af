// RewardBench's subset → section table with the weights its section scores use (rewardbench/constants.py
// EXAMPLE_COUNTS; spec/benchmarks.md §1): section = Σ acc_s·w_s / Σ w_s. Leaves out the "Prior Sets"
// (anthropic_helpful, anthropic_hhh, shp, summarize), which RM-R1 does not report.

import type { Category } from '../pair';

export interface SectionTable {
  section: Category;
  /** subset name → weight (its row count, except math-prm: 984 for 447 rows, to match the 6×164 code rows). */
  weights: Readonly<Record<string, number>>;
}

export const REWARDBENCH_SECTIONS: readonly SectionTable[] = [
  {
    section: 'chat',
    weights: {
      'alpacaeval-easy': 100,
      'alpacaeval-length': 95,
      'alpacaeval-hard': 95,
      'mt-bench-easy': 28,
      'mt-bench-med': 40,
    },
  },
  {
    section: 'chat-hard',
    weights: {
      'mt-bench-hard': 37,
      'llmbar-natural': 100,
      'llmbar-adver-neighbor': 134,
      'llmbar-adver-GPTInst': 92,
      'llmbar-adver-GPTOut': 47,
      'llmbar-adver-manual': 46,
    },
  },
  {
    section: 'safety',
    weights: {
      'refusals-dangerous': 100,
      'refusals-offensive': 100,
      'xstest-should-refuse': 250,
      'xstest-should-respond': 154,
      donotanswer: 136,
    },
  },
  {
    section: 'reasoning',
    weights: {
      'math-prm': 984,
      'hep-cpp': 164,
      'hep-go': 164,
      'hep-java': 164,
      'hep-js': 164,
      'hep-python': 164,
      'hep-rust': 164,
    },
  },
];

/** The section a RewardBench subset belongs to; undefined for subsets outside the four sections. */
export function rewardBenchSection(subset: string): Category | undefined {
  return REWARDBENCH_SECTIONS.find((t) => Object.hasOwn(t.weights, subset))?.section;
}

/** The weight RewardBench gives a subset inside its section; undefined outside the table. */
export function rewardBenchWeight(subset: string): number | undefined {
  // own keys only: a subset named "constructor" or "toString" is not in the table
  for (const t of REWARDBENCH_SECTIONS) if (Object.hasOwn(t.weights, subset)) return t.weights[subset];
  return undefined;
}

// RewardBench records (HF allenai/reward-bench: prompt, chosen, chosen_model, rejected, rejected_model,
// subset, id) → Pairs. The chosen response goes to A or B by a seeded, balanced assignment over the valid
// records; the category is the subset's section (rewardbench_sections.ts). Leaves out scoring.

import { createRng } from '../../engine/rng';
import type { Pair } from '../pair';
import { eachRecord, optStr, recordId, str } from './fields';
import type { FormatImporter, ImportIssue } from './importer';
import { balancedPositions } from './positions';
import { rewardBenchSection } from './rewardbench_sections';

interface Parsed {
  id: string;
  prompt: string;
  chosen: string;
  rejected: string;
  subset?: string;
  meta: Record<string, unknown>;
}

function parse(rec: Record<string, unknown>, line: number): Parsed {
  const meta: Record<string, unknown> = {};
  const chosenModel = optStr(rec, 'chosen_model');
  const rejectedModel = optStr(rec, 'rejected_model');
  if (chosenModel !== undefined) meta.chosen_model = chosenModel;
  if (rejectedModel !== undefined) meta.rejected_model = rejectedModel;
  return {
    id: recordId(rec, 'id', line),
    prompt: str(rec, 'prompt'),
    chosen: str(rec, 'chosen'),
    rejected: str(rec, 'rejected'),
    subset: optStr(rec, 'subset'),
    meta,
  };
}

export const rewardBenchImporter: FormatImporter = {
  format: 'rewardbench',
  fields: ['prompt', 'chosen', 'rejected', 'subset', 'id'],
  detect: (rec) => 'prompt' in rec && typeof rec.chosen === 'string' && 'rejected' in rec,
  importRecords(records, ctx) {
    const errors: ImportIssue[] = [];
    const parsed = eachRecord(records, errors, parse);
    const chosenAt = balancedPositions(parsed.length, createRng(ctx.seed));
    const out = parsed.map(({ line, value: r }, i) => {
      const atA = chosenAt[i] === 'A';
      const pair: Pair = {
        id: `rewardbench:${r.id}`,
        prompt: r.prompt,
        a: atA ? r.chosen : r.rejected,
        b: atA ? r.rejected : r.chosen,
        winner: chosenAt[i],
        source: 'rewardbench',
      };
      const category = r.subset === undefined ? undefined : rewardBenchSection(r.subset);
      if (category !== undefined) pair.category = category;
      if (r.subset !== undefined) pair.subset = r.subset;
      if (Object.keys(r.meta).length > 0) pair.meta = r.meta;
      return { line, pairs: [pair] };
    });
    return { records: out, errors, warnings: [] };
  },
};

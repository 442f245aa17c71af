// A judge's traces against the oracle's on held-out synthetic pairs (rm/trace_diagnosis.ts), per category
// and subset: G judgements per pair in the order shown, greedy (G = 1) or sampled at GRPO's temperature,
// so the figures say what GRPO's reward sees on these pairs — how often the head and the checks are
// right, and how much a right head raises the chance of a right verdict (the reward gap).
import type { LlamaConfig } from '../engine/config';
import { throwIfDeviceError } from '../engine/device_errors';
import { trimGpuPool } from '../engine/gpu_pool';
import { keyedTable } from '../engine/keyed_table';
import type { ModelParams } from '../engine/model';
import type { TextTokenizer } from '../engine/text_tokenizer';
import { modelPrompt } from '../rm/cor_prompt';
import type { OracleOptions } from '../rm/oracle';
import type { Pair } from '../rm/pair';
import { diagnoseTrace, summarizeDiagnoses, type DiagnosisSummary, type TraceDiagnosis } from '../rm/trace_diagnosis';
import { judgeBatch } from './evaluate';
import { RUN_DEFAULTS } from './run_config';

export interface DiagnoseOptions {
  samples: number; // G judgements per pair; 1 = greedy
  temperature: number; // for samples > 1
  maxCompletionLength: number;
  batchSize: number; // sequences per generate call
  seed: number;
  oracle: OracleOptions; // how the judge was taught to write (noRubric for the ablation)
  onProgress?: (done: number, total: number) => void;
}

/** What GRPO's reward sees: its G, τ and judgement cap, from the run defaults (run_config.ts). */
export const DIAGNOSE_DEFAULTS: DiagnoseOptions = {
  samples: RUN_DEFAULTS.grpo.numGenerations,
  temperature: RUN_DEFAULTS.grpo.temperature,
  maxCompletionLength: RUN_DEFAULTS.grpo.maxCompletionLength,
  batchSize: RUN_DEFAULTS.eval.batchSize,
  seed: RUN_DEFAULTS.seed,
  oracle: {},
};

export interface DiagnosisReport {
  samples: number;
  overall: DiagnosisSummary;
  perCategory: Record<string, DiagnosisSummary>;
  perSubset: Record<string, DiagnosisSummary>;
  /** The first judgement of each pair, for reading. */
  examples: { id: string; category?: string; subset?: string; trace: string; diagnosis: TraceDiagnosis }[];
}

function byKey(
  pairs: Pair[],
  groups: TraceDiagnosis[][],
  key: (p: Pair) => string | undefined,
): Record<string, DiagnosisSummary> {
  const buckets = new Map<string, TraceDiagnosis[][]>(); // keyed by data: a Map, then a prototype-free table
  pairs.forEach((p, i) => {
    const k = key(p);
    if (k === undefined) return;
    const bucket = buckets.get(k) ?? [];
    bucket.push(groups[i]);
    buckets.set(k, bucket);
  });
  return keyedTable(
    [...buckets.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, g]) => [k, summarizeDiagnoses(g)]),
  );
}

/** Diagnoses `pairs` (synthetic, with truth; ties are left out). */
export async function diagnoseJudge(
  params: ModelParams,
  cfg: LlamaConfig,
  tok: TextTokenizer,
  pairs: Pair[],
  o: DiagnoseOptions,
): Promise<DiagnosisReport> {
  const judged = pairs.filter((p) => p.winner !== 'tie');
  const G = Math.max(1, o.samples);
  const rows = judged.flatMap((p, i) => {
    const ids = modelPrompt(tok, p).ids;
    return Array.from({ length: G }, () => ({ pair: i, ids }));
  });
  const groups: TraceDiagnosis[][] = judged.map(() => []);
  const first: string[] = judged.map(() => '');
  for (let start = 0; start < rows.length; start += o.batchSize) {
    const chunk = rows.slice(start, start + o.batchSize);
    const texts = await judgeBatch(
      params,
      cfg,
      tok,
      chunk.map((r) => r.ids),
      { ...o, temperature: G === 1 ? 0 : o.temperature, seed: o.seed + start },
    );
    throwIfDeviceError(`diagnosis, ${start + chunk.length} of ${rows.length} judgements`);
    trimGpuPool();
    chunk.forEach((r, i) => {
      const text = texts[i];
      if (groups[r.pair].length === 0) first[r.pair] = text;
      groups[r.pair].push(diagnoseTrace(judged[r.pair], text, o.oracle));
    });
    o.onProgress?.(start + chunk.length, rows.length);
  }
  return {
    samples: G,
    overall: summarizeDiagnoses(groups),
    perCategory: byKey(judged, groups, (p) => p.category),
    perSubset: byKey(judged, groups, (p) => (p.category && p.subset ? `${p.category}/${p.subset}` : undefined)),
    examples: judged.map((p, i) => ({
      id: p.id,
      category: p.category,
      subset: p.subset,
      trace: first[i],
      diagnosis: groups[i][0],
    })),
  };
}

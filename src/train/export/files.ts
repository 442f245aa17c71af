// The files an export writes, as path + text: JSON Lines, the distillation traces as chat rows (both
// targets: TRL's SFTTrainer and OpenRLHF read them), and the manifest. The CLI writes them to a folder,
// the Runs page zips them.
import type { RunRecord } from '../lab_store';
import { judgeMessages, type RunData, type TracedPair } from './run_data';
import type { Target } from './settings_map';

export interface ExportFile {
  path: string; // relative, '/'-separated
  text: string;
}

/** The commits the export's names and keys were checked against. */
export const MAPPED_AGAINST = {
  trl: 'huggingface/trl @ f2cd577 (1.10.0.dev0)',
  verl: 'volcengine/verl @ b178a3c (0.8.0.dev)',
} as const;

export const EXPORT_VERSION = 1;

/** One JSON object per line, each line ending in a newline. */
export function jsonlFile(path: string, rows: readonly unknown[]): ExportFile {
  return { path, text: rows.map((r) => `${JSON.stringify(r)}\n`).join('') };
}

/** A distillation row: RM-R1's instruct prompt and the oracle's trace as the assistant's answer. */
export function sftRow({ pair, trace }: TracedPair) {
  return { messages: [...judgeMessages(pair), { role: 'assistant', content: trace }] };
}

export function sftFiles(data: RunData): ExportFile[] {
  return [
    jsonlFile('sft/train.jsonl', data.sftTrain.map(sftRow)),
    jsonlFile('sft/test.jsonl', data.sftTest.map(sftRow)),
  ];
}

/** What was exported, from which run, against which trainer versions, with the row counts. */
export function manifestFile(run: RunRecord, target: Target, data: RunData, files: ExportFile[]): ExportFile {
  const rows = Object.fromEntries(
    files.filter((f) => /^(grpo|sft)\//.test(f.path)).map((f) => [f.path, f.text.split('\n').length - 1]),
  );
  const manifest = {
    format: 'rubric-lab-export',
    version: EXPORT_VERSION,
    target,
    mapped_against: MAPPED_AGAINST[target],
    run: { id: run.id, name: run.name, created_at: new Date(run.createdAt).toISOString(), status: run.status },
    rows,
    notes: data.notes,
  };
  return { path: 'manifest.json', text: `${JSON.stringify(manifest, null, 2)}\n` };
}

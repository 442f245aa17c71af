// The LabStore as folders of files, for the Node CLIs. A run is the folder `<root>/<runId>/`:
//   run.json (the record), config.json (the run config alone), metrics.jsonl, steps.jsonl (GRPO step
//   reports, one per line), eval-sft.json / eval-grpo.json, checkpoints/<name>/{config.json,
//   model.safetensors, tokenizer.json, meta.json, a LoRA run's adapter/}, resume/{resume.json,
//   optimizer.safetensors, a LoRA run's adapters.safetensors and folded_adapters.safetensors} (the resume
//   snapshot, train/resume.ts).
// Checkpoints without a run sit in `<root>/checkpoints/<id>/`, datasets in `<root>/datasets/<id>.jsonl`
// with `<id>.meta.json`. Node only (node:fs); the browser uses state/lab_store_idb.ts.
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpointFiles } from '../engine/checkpoint';
import { loadCheckpointDir, saveCheckpointDir } from '../engine/checkpoint_node';
import { toJsonl, type Pair } from '../rm/pair';
import { keptAfterRewind, type CheckpointMeta, type DatasetMeta, type LabStore, type RunRecord } from './lab_store';
import type { MetricsRow } from './pipeline';
import { ADAPTERS_FILE, FOLDED_FILE, OPTIMIZER_FILE, STATE_FILE, type ResumeFiles } from './resume';
import { withCompleteConfig } from './run_config';
import { upgradeStepReport, type GrpoStepReport, type StepReportV1 } from './grpo_types';

const readJson = async <T>(path: string): Promise<T | null> =>
  existsSync(path) ? (JSON.parse(await readFile(path, 'utf8')) as T) : null;
const readJsonl = async <T>(path: string): Promise<T[]> =>
  existsSync(path)
    ? (await readFile(path, 'utf8'))
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as T)
    : [];
const subdirs = async (dir: string) =>
  existsSync(dir)
    ? (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name)
    : [];
const safe = (id: string) => {
  if (!/^[\w.-]+$/.test(id) || id === '.' || id === '..')
    throw new Error(`LabStore: "${id}" is not a safe file name (letters, digits, . _ - only)`);
  return id;
};
const newestFirst = <T extends { createdAt: number }>(xs: T[]) => xs.sort((a, b) => b.createdAt - a.createdAt);
const toLines = (xs: unknown[]) => xs.map((x) => `${JSON.stringify(x)}\n`).join('');

async function dirBytes(dir: string): Promise<number> {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true }))
    n += e.isDirectory() ? await dirBytes(join(dir, e.name)) : (await stat(join(dir, e.name))).size;
  return n;
}

export function createFileStore(root: string): LabStore {
  const RESERVED = new Set(['checkpoints', 'datasets']);
  const runDir = (id: string) => {
    if (RESERVED.has(id)) throw new Error(`LabStore: a run cannot be named "${id}"`);
    return join(root, safe(id));
  };
  const ckptDir = (meta: Pick<CheckpointMeta, 'id' | 'runId' | 'name'>) =>
    meta.runId ? join(runDir(meta.runId), 'checkpoints', safe(meta.name)) : join(root, 'checkpoints', safe(meta.id));

  async function allCheckpointDirs(): Promise<{ dir: string; meta: CheckpointMeta }[]> {
    const dirs: string[] = [];
    for (const id of await subdirs(join(root, 'checkpoints'))) dirs.push(join(root, 'checkpoints', id));
    for (const run of await subdirs(root)) {
      if (RESERVED.has(run)) continue;
      for (const name of await subdirs(join(root, run, 'checkpoints'))) dirs.push(join(root, run, 'checkpoints', name));
    }
    const out: { dir: string; meta: CheckpointMeta }[] = [];
    for (const dir of dirs) {
      const meta = await readJson<CheckpointMeta>(join(dir, 'meta.json'));
      if (meta) out.push({ dir, meta });
    }
    return out;
  }
  const findCheckpoint = async (id: string) => (await allCheckpointDirs()).find((c) => c.meta.id === id) ?? null;
  /** The run's step reports in the current version (run.json says how older ones scaled their rewards). */
  async function readStepReports(runId: string): Promise<GrpoStepReport[]> {
    const run = await readJson<RunRecord>(join(runDir(runId), 'run.json'));
    const stored = await readJsonl<GrpoStepReport | StepReportV1>(join(runDir(runId), 'steps.jsonl'));
    return stored.map((r) => upgradeStepReport(r, run?.config?.grpo?.scaleRewards));
  }

  return {
    async putRun(r) {
      await mkdir(runDir(r.id), { recursive: true });
      await writeFile(join(runDir(r.id), 'run.json'), JSON.stringify(r, null, 2));
      await writeFile(join(runDir(r.id), 'config.json'), JSON.stringify(r.config, null, 2));
    },
    getRun: async (id) => withCompleteConfig(await readJson<RunRecord>(join(runDir(id), 'run.json'))),
    async listRuns() {
      const runs: RunRecord[] = [];
      for (const id of await subdirs(root)) {
        if (RESERVED.has(id)) continue;
        const r = withCompleteConfig(await readJson<RunRecord>(join(root, id, 'run.json')));
        if (r) runs.push(r);
      }
      return newestFirst(runs);
    },
    async deleteRun(id) {
      await rm(runDir(id), { recursive: true, force: true });
    },

    async appendMetrics(runId, rows) {
      await mkdir(runDir(runId), { recursive: true });
      await appendFile(join(runDir(runId), 'metrics.jsonl'), toLines(rows));
    },
    metrics: (runId) => readJsonl(join(runDir(runId), 'metrics.jsonl')),

    async putStepReport(runId, report) {
      await mkdir(runDir(runId), { recursive: true });
      await appendFile(join(runDir(runId), 'steps.jsonl'), `${JSON.stringify(report)}\n`);
    },
    async stepReport(runId, step) {
      return (await readStepReports(runId)).filter((r) => r.step === step).pop() ?? null; // the last write wins
    },
    async stepReports(runId) {
      return [...new Set((await readStepReports(runId)).map((r) => r.step))].sort((a, b) => a - b);
    },

    async putEval(runId, after, report) {
      await mkdir(runDir(runId), { recursive: true });
      await writeFile(join(runDir(runId), `eval-${after}.json`), JSON.stringify(report, null, 2));
    },
    getEval: (runId, after) => readJson(join(runDir(runId), `eval-${after}.json`)),

    async putResumeSnapshot(runId, files) {
      const dir = join(runDir(runId), 'resume');
      await mkdir(dir, { recursive: true });
      // resume.json last: if only the others are written, the optimizer's step count no longer matches it (refused)
      for (const name of [OPTIMIZER_FILE, ADAPTERS_FILE, FOLDED_FILE, STATE_FILE])
        if (files[name]) await writeFile(join(dir, name), files[name]);
        else await rm(join(dir, name), { force: true });
    },
    async resumeSnapshot(runId) {
      const dir = join(runDir(runId), 'resume');
      if (!existsSync(join(dir, STATE_FILE))) return null;
      const files: ResumeFiles = {};
      for (const name of [STATE_FILE, OPTIMIZER_FILE, ADAPTERS_FILE, FOLDED_FILE])
        if (existsSync(join(dir, name))) files[name] = new Uint8Array(await readFile(join(dir, name)));
      return files;
    },
    async rewindRun(runId, to) {
      const dir = runDir(runId);
      const rows = await readJsonl<MetricsRow>(join(dir, 'metrics.jsonl'));
      await writeFile(join(dir, 'metrics.jsonl'), toLines(rows.filter((r) => keptAfterRewind(r, to))));
      const reports = await readJsonl<{ step: number }>(join(dir, 'steps.jsonl'));
      if (reports.length) await writeFile(join(dir, 'steps.jsonl'), toLines(reports.filter((r) => r.step <= to.grpo)));
      for (const after of ['sft', 'grpo'] as const)
        if (!to.evals.includes(after)) await rm(join(dir, `eval-${after}.json`), { force: true });
    },

    async putCheckpoint(meta, files) {
      const dir = ckptDir(meta);
      await saveCheckpointDir(dir, files);
      await writeFile(join(dir, 'meta.json'), JSON.stringify(meta, null, 2));
    },
    async checkpointFiles(id) {
      const c = await findCheckpoint(id);
      return c ? ((await loadCheckpointDir(c.dir)) as CheckpointFiles) : null;
    },
    listCheckpoints: async () => newestFirst((await allCheckpointDirs()).map((c) => c.meta)),
    async deleteCheckpoint(id) {
      const c = await findCheckpoint(id);
      if (c) await rm(c.dir, { recursive: true, force: true });
    },

    async putDataset(meta, pairs) {
      const dir = join(root, 'datasets');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `${safe(meta.id)}.jsonl`), toJsonl(pairs));
      await writeFile(join(dir, `${safe(meta.id)}.meta.json`), JSON.stringify(meta, null, 2));
    },
    async datasetPairs(id) {
      const path = join(root, 'datasets', `${safe(id)}.jsonl`);
      return existsSync(path) ? readJsonl<Pair>(path) : null;
    },
    async listDatasets() {
      const dir = join(root, 'datasets');
      if (!existsSync(dir)) return [];
      const metas: DatasetMeta[] = [];
      for (const f of await readdir(dir))
        if (f.endsWith('.meta.json')) metas.push(JSON.parse(await readFile(join(dir, f), 'utf8')));
      return newestFirst(metas);
    },
    async deleteDataset(id) {
      await rm(join(root, 'datasets', `${safe(id)}.jsonl`), { force: true });
      await rm(join(root, 'datasets', `${safe(id)}.meta.json`), { force: true });
    },

    async usage() {
      return { usedBytes: await dirBytes(root), quotaBytes: null };
    },
  };
}

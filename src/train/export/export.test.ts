// A run exported for TRL and verl parses back to the run's own pairs: every GRPO, held-out and distillation
// file, read by our RM-R1 importer (RM-R1's context_messages + winner, the traces' verdicts included), gives
// the pairs the run's pipeline drew from, in both A/B orders when the run judged both, in order, with their
// ids, categories and traces. A run on a dataset exports that dataset's pairs, leaving out what the run left
// out (a tie, a prompt too long to judge); a changed or deleted dataset, or a run from before runs recorded
// their dataset, is refused naming why.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { switchTestBackend } from '../../engine/test_backends';
import { importDataset } from '../../rm/importers';
import { swapPair, type Pair } from '../../rm/pair';
import { createMemoryStore, type LabStore, type RunRecord } from '../lab_store';
import { createPipeline, freshModel, worldData, worldSplits } from '../pipeline';
import { applyOverrides, RUN_DEFAULTS, type RunConfig } from '../run_config';
import { createRunRecorder, newRunRecord } from '../run_recorder';
import { buildExport, type ExportFile } from './export';

const config = applyOverrides(RUN_DEFAULTS, {
  preset: 'nano',
  'world.nDistill': '40',
  'world.nGrpo': '30',
  'world.nEval': '6',
  'sft.batchSize': '8',
  'grpo.categories': 'chat,reasoning',
  'grpo.promptsPerStep': '4',
});

/** A run recorded as the page and the CLI record one: the pipeline's first step booked by the recorder. */
async function recordedRun(
  store: LabStore,
  id: string,
  run: RunConfig,
  grpo?: { pairs: Pair[]; dataset: { id: string; name: string } },
) {
  const recorder = createRunRecorder(store, newRunRecord(id, run, { grpoDataset: grpo?.dataset ?? null }));
  const model = freshModel(run);
  const data = worldData(run);
  const pipeline = createPipeline(run, model, grpo ? { ...data, grpo: grpo.pairs } : data);
  await recorder.record(await pipeline.step(), pipeline.progress());
  pipeline.dispose();
  tf.dispose(Object.values(model.params));
  return recorder.run;
}

const file = (files: ExportFile[], path: string) => {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`no ${path} in ${files.map((x) => x.path).join(', ')}`);
  return f.text;
};
const rows = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
/** RM-R1 records back through our importer. */
const asRmR1 = (recs: { context_messages: unknown; winner: string }[]) =>
  importDataset(recs.map((r) => JSON.stringify(r)).join('\n'), 'export', { format: 'rm-r1' }).pairs;
const shape = (p: Pair) => ({ prompt: p.prompt, a: p.a, b: p.b, winner: p.winner });
const bothOrders = (pairs: Pair[]) => pairs.flatMap((p) => [p, swapPair(p)]);
const labelled = (pairs: Pair[]) => pairs.filter((p) => p.winner !== 'tie');

/** GRPO rows of either target back to pairs (with their ids and categories from the extra columns). */
function grpoBack(files: ExportFile[], target: 'trl' | 'verl', split: 'train' | 'test') {
  const recs = rows(file(files, target === 'trl' ? `grpo/${split}.jsonl` : `grpo/${split}.json`));
  const pairs = asRmR1(
    recs.map((r) => ({
      context_messages: r.prompt,
      winner: target === 'trl' ? r.winner : r.reward_model.ground_truth,
    })),
  );
  const extra = recs.map((r) => (target === 'trl' ? r : r.extra_info));
  return { pairs, extra, recs };
}

describe('export: the files parse back to the run’s pairs', () => {
  beforeAll(() => switchTestBackend('wasm'));

  it('a world run: GRPO (both orders), held-out and distillation files, for TRL and verl', async () => {
    const store = createMemoryStore();
    const run = await recordedRun(store, 'world-run', config);
    const w = worldSplits(config);
    const pool = w.grpo.filter((p) => p.category === 'chat' || p.category === 'reasoning');
    expect(run.grpoPool?.count).toBe(pool.length);
    for (const target of ['trl', 'verl'] as const) {
      const files = await buildExport(run, target, store);
      const train = grpoBack(files, target, 'train');
      expect(train.pairs.map(shape)).toEqual(bothOrders(pool).map(shape));
      expect(train.extra.map((x) => `${x.pair_id}/${x.order}/${x.category}`)).toEqual(
        pool.flatMap((p) => [`${p.id}/as-given/${p.category}`, `${p.id}/swapped/${p.category}`]),
      );
      expect(grpoBack(files, target, 'test').pairs.map(shape)).toEqual(bothOrders(labelled(w.eval)).map(shape));
      for (const [split, traced] of [
        ['train', w.distill],
        ['test', w.distillHeldOut],
      ] as const) {
        const sft = rows(file(files, `sft/${split}.jsonl`));
        expect(
          sft.every((r) => r.messages.map((m: { role: string }) => m.role).join() === 'system,user,assistant'),
        ).toBe(true);
        const back = asRmR1(
          sft.map((r) => ({ context_messages: r.messages.slice(0, 2), winner: r.messages[2].content })),
        );
        expect(back.map((p) => ({ ...shape(p), trace: p.meta?.trace }))).toEqual(
          traced.map((t) => ({ ...shape(t.pair), trace: t.trace })),
        );
      }
      if (target === 'verl') {
        expect(train.recs.every((r) => r.data_source === 'rubric-lab' && r.reward_model.style === 'rule')).toBe(true);
        expect(train.extra.map((x) => x.index)).toEqual(train.recs.map((_, i) => i));
      }
      const manifest = JSON.parse(file(files, 'manifest.json'));
      expect(manifest).toMatchObject({ target, run: { id: 'world-run' } });
      expect(manifest.rows[target === 'trl' ? 'grpo/train.jsonl' : 'grpo/train.json']).toBe(2 * pool.length);
    }
  });

  it('a dataset run exports the dataset’s pairs the run used; a changed or deleted dataset is refused', async () => {
    const store = createMemoryStore();
    const world = worldSplits(config).grpo;
    const mine: Pair[] = world.slice(0, 12).map((p, i) => ({ ...p, id: `mine:${i}`, source: 'mine' }));
    mine[3] = { ...mine[3], winner: 'tie' }; // GRPO skips ties
    mine[5] = { ...mine[5], prompt: 'word '.repeat(400) }; // too long for the nano context: left out
    const dataset = { id: 'ds-1', name: 'my pairs' };
    await store.putDataset(
      { ...dataset, source: 'import', format: 'pairs', createdAt: 0, updatedAt: 0, count: 12 },
      mine,
    );
    const run = await recordedRun(
      store,
      'ds-run',
      { ...config, grpo: { ...config.grpo, categories: '' } },
      {
        pairs: mine,
        dataset,
      },
    );
    expect(run.grpoPool?.leftOut).toEqual([5]);
    const used = mine.filter((_, i) => i !== 3 && i !== 5);
    const files = await buildExport(run, 'verl', store);
    expect(grpoBack(files, 'verl', 'train').pairs.map(shape)).toEqual(bothOrders(used).map(shape));
    expect(file(files, 'README.md')).toContain('10 from dataset "my pairs" (ds-1)');

    const changed = mine.map((p, i) => (i === 0 ? { ...p, a: `${p.a} (edited)` } : p));
    await store.putDataset(
      { ...dataset, source: 'import', format: 'pairs', createdAt: 0, updatedAt: 1, count: 12 },
      changed,
    );
    await expect(buildExport(run, 'trl', store)).rejects.toThrow(
      /Run ds-run trained GRPO on 10 pairs of dataset "my pairs" \(ds-1\), which now gives 10 different ones/,
    );
    await store.deleteDataset(dataset.id);
    await expect(buildExport(run, 'trl', store)).rejects.toThrow(/no longer in storage: import it again to export/);
  });

  it('a run older than GRPO pool records: the world rebuilt (said so); a dataset one refused', async () => {
    const store = createMemoryStore();
    const recorded = await recordedRun(store, 'old', config);
    const { grpoPool: _, grpoDataset: __, ...old } = recorded;
    const files = await buildExport(old as RunRecord, 'trl', store);
    expect(grpoBack(files, 'trl', 'train').pairs.length).toBe(2 * recorded.grpoPool!.count);
    expect(file(files, 'README.md')).toMatch(/predates runs recording their GRPO pairs, so they were rebuilt/);
    const onDataset = { ...old, notes: ['GRPO on dataset x (5 pairs) instead of the synthetic world’s'] } as RunRecord;
    await expect(buildExport(onDataset, 'verl', store)).rejects.toThrow(/ran GRPO on a dataset but predates/);
  });
});

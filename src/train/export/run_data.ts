// The data a run trained on, rebuilt for export: the GRPO pairs it drew from (its world's or its dataset's,
// checked against the run's record of them), its held-out pairs and its world's distillation traces, each
// with RM-R1's instruct prompt as chat messages (system + user): the cluster trainers train real chat
// models, not our compact-prompt judges. Refuses, saying why, when the pairs are gone or have changed.
import { presetConfig } from '../../engine/config';
import { judgePrompt } from '../../rm/cor_prompt';
import { swapPair, type Pair } from '../../rm/pair';
import { namedTokenizer } from '../../rm/world_vocab';
import { grpoPool, judgeRoom, labelled, poolHash, selectCategories } from '../grpo_pool';
import type { RunRecord } from '../lab_store';
import { worldSplits } from '../pipeline';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A pair as one exported row shows it: as given, or with A and B exchanged (`pair` is then the swapped one). */
export interface ShownPair {
  pair: Pair;
  order: 'as-given' | 'swapped';
}

export interface TracedPair {
  pair: Pair;
  trace: string;
}

export interface RunData {
  grpoTrain: ShownPair[]; // GRPO's pairs, in both orders when the run judged both
  grpoTest: ShownPair[]; // the held-out pairs, in both orders, as our evaluation judges them
  sftTrain: TracedPair[];
  sftTest: TracedPair[];
  /** Said in the export's README and manifest: where the pairs came from, and anything assumed. */
  notes: string[];
}

/** Where a run's GRPO dataset is read from (the LabStore's datasets). */
export interface DatasetSource {
  datasetPairs(id: string): Promise<Pair[] | null>;
}

/** RM-R1's instruct prompt for a pair: the system instruction and the user message. */
export function judgeMessages(pair: Pick<Pair, 'prompt' | 'a' | 'b'>): ChatMessage[] {
  const p = judgePrompt(pair, 'full');
  return [
    { role: 'system', content: p.system! },
    { role: 'user', content: p.user },
  ];
}

/** RM-R1's label for the winner shown as A or B. */
export function rmR1Label(pair: Pair): 'model_a' | 'model_b' {
  if (pair.winner !== 'A' && pair.winner !== 'B') throw new Error(`pair ${pair.id}: a tie has no GRPO label`);
  return pair.winner === 'A' ? 'model_a' : 'model_b';
}

const shown = (pairs: Pair[], bothOrders: boolean): ShownPair[] =>
  pairs.flatMap((pair) => [
    { pair, order: 'as-given' as const },
    ...(bothOrders ? [{ pair: swapPair(pair), order: 'swapped' as const }] : []),
  ]);

/** The run's data; throws a message naming the run and what is missing or changed. */
export async function runData(run: RunRecord, datasets: DatasetSource): Promise<RunData> {
  const world = worldSplits(run.config);
  const notes: string[] = [];
  const grpo = await grpoPairs(run, datasets, world.grpo, notes);
  if (run.config.stage === 'grpo')
    notes.push('This run did not distil (stage grpo): the SFT files hold its world’s traces for a stage 1 there.');
  return {
    grpoTrain: shown(grpo, run.config.grpo.bothOrders),
    grpoTest: shown(labelled(world.eval), true),
    sftTrain: world.distill,
    sftTest: world.distillHeldOut,
    notes,
  };
}

async function grpoPairs(run: RunRecord, datasets: DatasetSource, worldGrpo: Pair[], notes: string[]) {
  const ds = run.grpoDataset;
  if (ds === undefined && run.notes.some((n) => n.startsWith('GRPO on dataset ')))
    throw new Error(
      `Run ${run.id} ran GRPO on a dataset but predates runs recording which one: its GRPO pairs cannot be ` +
        'rebuilt. Start the run again to export it.',
    );
  let source = worldGrpo;
  const from = ds ? `dataset "${ds.name}" (${ds.id})` : `the built-in world (seed ${run.config.seed})`;
  if (ds) {
    const pairs = await datasets.datasetPairs(ds.id);
    if (!pairs)
      throw new Error(`Run ${run.id} ran GRPO on ${from}, which is no longer in storage: import it again to export.`);
    source = pairs;
  }
  const g = run.config.grpo;
  const rec = run.grpoPool;
  if (!rec) return legacyPool(run, source, notes, from);
  const chosen = selectCategories(source, g.categories);
  const left = new Set(rec.leftOut);
  const pairs = labelled(chosen.filter((_, i) => !left.has(i)));
  if (pairs.length !== rec.count || poolHash(pairs) !== rec.hash)
    throw new Error(
      `Run ${run.id} trained GRPO on ${rec.count} pairs of ${from}, which now gives ${pairs.length} different ` +
        'ones (the data or its generator changed since): the export would not be the run’s data.',
    );
  notes.push(`GRPO pairs: ${pairs.length} from ${from}, the ones the run drew from (checked by content hash).`);
  return pairs;
}

/** A run recorded before runs kept their GRPO pool: the world's pairs, filtered as its fresh model would. */
function legacyPool(run: RunRecord, source: Pair[], notes: string[], from: string): Pair[] {
  const c = run.config;
  const tok = namedTokenizer(c.tokenizer);
  const ids = { vocab_size: tok.vocabSize, bos_token_id: tok.bosId, eos_token_id: tok.eosId, pad_token_id: tok.padId };
  const context = presetConfig(c.preset, ids).max_position_embeddings;
  const pool = grpoPool(source, c.grpo.categories, tok, context, judgeRoom(c.grpo.maxCompletionLength));
  const pairs = labelled(pool.fitting);
  notes.push(
    `GRPO pairs: ${pairs.length} from ${from}; this run predates runs recording their GRPO pairs, so they were ` +
      `rebuilt with the ${c.preset} preset's ${context}-token context and the ${c.tokenizer} tokenizer` +
      (run.init ? ` (the run started from checkpoint ${run.init}, whose context was assumed the same).` : '.'),
  );
  return pairs;
}

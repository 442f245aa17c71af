// `npm run judge -- --checkpoint DIR (--prompt Q --a RESP --b RESP | --file pair.json) [--samples N]
//   [--temperature 1] [--seed 1] [--max-new-tokens 200] [--layout compact|full] [--json]`
// Judges one pair with src/train/judge.ts (the same code as the Judge page): prints the exact prompt fed
// to the model, the trace, the parsed rubric tree, the verdict and the swap check (B/A). With --samples N,
// N sampled judgements per order and the vote share. With --json, one object with everything needed to
// reproduce the judgement outside Rubric Lab (prompt text and ids, generated ids, trees).
import { readFileSync } from 'node:fs';
import { initNodeBackend } from '../src/engine/node_webgpu';
import type { PromptLayout } from '../src/rm/cor_prompt';
import { JUDGE_DEFAULTS, judgePair, type Judgement } from '../src/train/judge';
import { exitWithMessageOnError, loadCheckpoint, parseFlags } from './cli_util';

exitWithMessageOnError();

const f = parseFlags(process.argv.slice(2));
const pair = f.file ? JSON.parse(readFileSync(f.file, 'utf8')) : { prompt: f.prompt, a: f.a, b: f.b };
if (!f.checkpoint || typeof pair.prompt !== 'string' || typeof pair.a !== 'string' || typeof pair.b !== 'string') {
  console.error(
    'usage: npm run judge -- --checkpoint DIR (--prompt Q --a RESP --b RESP | --file pair.json with {prompt, a, ' +
      'b}) [--samples N] [--temperature T] [--seed S] [--max-new-tokens K] [--layout compact|full] [--json]',
  );
  process.exit(2);
}
await initNodeBackend((f.backend ?? 'wasm') as 'wasm');
const model = await loadCheckpoint(f.checkpoint);
const num = (key: string, fallback: number) => (f[key] === undefined ? fallback : Number(f[key]));

// A JudgeInputError (text longer than the context, …) ends the CLI with its message (exitWithMessageOnError).
const result = await judgePair(
  model,
  { prompt: pair.prompt, a: pair.a, b: pair.b },
  {
    samples: num('samples', 1),
    temperature: num('temperature', JUDGE_DEFAULTS.temperature),
    seed: num('seed', JUDGE_DEFAULTS.seed),
    maxNewTokens: num('max-new-tokens', model.cfg.max_position_embeddings),
    layout: (f.layout ?? 'compact') as PromptLayout,
  },
);

for (const u of result.input.unknown.slice(0, 10))
  console.error(
    `warning: ${JSON.stringify(u.char)} at ${u.field}[${u.index}] is outside the vocabulary; the model reads <unk>`,
  );
if (result.input.unknown.length > 10)
  console.error(`warning: ${result.input.unknown.length - 10} more characters outside the vocabulary`);
for (const t of result.input.tags)
  console.error(
    `warning: ${t.tag} at ${t.field}[${t.index}] is a special token: the model reads it as its own tag, not as text`,
  );

const snake = (j: Judgement) => ({
  prompt_text: j.promptText,
  prompt_ids: j.promptIds,
  generated_ids: j.generatedIds,
  trace: j.trace,
  stop_reason: j.stopReason,
  tree: j.tree,
  written_verdict: j.writtenVerdict,
  verdict: j.verdict, // verdict: in the original labels
});

if (f.json) {
  console.log(
    JSON.stringify(
      {
        checkpoint: f.checkpoint,
        decoding: result.greedy
          ? { greedy: true, max_new_tokens: result.maxNewTokens }
          : {
              samples: result.samples,
              temperature: result.temperature,
              seed: result.seed,
              max_new_tokens: result.maxNewTokens,
            },
        unknown_chars: result.input.unknown,
        typed_tags: result.input.tags,
        verdict: result.verdict,
        vote_share: result.voteShare,
        votes: result.votes,
        swapped_verdict: result.swappedVerdict,
        swapped_vote_share: result.swappedVoteShare,
        position_consistent: result.positionConsistent,
        judgements: result.shown.map(snake),
        swapped_judgements: result.swapped.map(snake),
      },
      null,
      2,
    ),
  );
} else {
  const j = result.shown[0],
    t = j.tree;
  console.log(
    `--- prompt fed to the model ---\n${j.promptText}\n--- trace (${j.stopReason}) ---\n${j.trace}\n--- rubric ` +
      `tree ---`,
  );
  console.log(`type: ${t.type ?? '(none)'}`);
  for (const item of t.rubric?.items ?? [])
    console.log(`  rubric ${item.index}: ${item.text}${item.weight !== undefined ? ` (${item.weight}%)` : ''}`);
  if (t.solution) console.log(`  solution: ${t.solution.text}`);
  for (const c of t.eval?.checks ?? []) console.log(`  check ${c.rubric ?? ''}${c.response}: ${c.verdict ?? ''}`);
  for (const e of t.errors) console.log(`  error (${e.kind}) at ${e.start}-${e.end}: ${e.message}`);
  const share = result.greedy
    ? ''
    : ` (vote share ${(100 * result.voteShare).toFixed(0)}% of ${result.samples}: A ${result.votes.A}, B ` +
      `${result.votes.B}, none ${result.votes.none})`;
  console.log(`verdict: ${result.verdict ?? 'none'}${share}`);
  console.log(
    `swap check (B/A): ${result.swappedVerdict ?? 'none'} -> ` +
      `${result.positionConsistent ? 'consistent' : 'INCONSISTENT'}`,
  );
}
process.exit(0);

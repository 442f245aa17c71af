// `npm run judge -- --model DIR|hf:owner/name[@rev] (--prompt Q --a RESP --b RESP | --file pair.json) [--samples N]
//   [--temperature 1] [--seed 1] [--max-new-tokens 144] [--layout compact|full] [--json]` (`--help` lists all)
// Judges one pair with src/train/judge.ts (the same code as the Judge page): prints the exact prompt fed
// to the model, the trace, the parsed rubric tree, the verdict and the swap check (B/A). With --samples N,
// N sampled judgements per order and the vote share. With --json, one object with everything needed to
// reproduce the judgement outside Rubric Lab (prompt text and ids, generated ids, trees). The model is one of
// our checkpoints or a Hugging Face instruct model (a folder or the Hub), which reads RM-R1's instruct prompt
// through its chat template; `--checkpoint` is the older name of `--model`.
import { readFileSync } from 'node:fs';
import { initNodeBackend } from '../src/engine/node_webgpu';
import { JUDGE_DEFAULTS, judgePair, type Judgement, type JudgeResult, type PairText } from '../src/train/judge';
import { ruleOf } from '../src/train/run_config';
import { bool, choice, int, text, withDefault } from '../src/train/settings';
import {
  BACKEND_FLAG,
  exitWithMessageOnError,
  loadModelArg,
  MODEL_FLAGS,
  modelArg,
  parseCli,
  pathFlag,
} from './cli_util';
import { relaunchForWebGPU } from './gpu_driver';

exitWithMessageOnError();

const { flags: f } = parseCli(process.argv.slice(2), {
  usage:
    'npm run judge -- --model DIR|hf:owner/name[@rev] (--prompt Q --a RESP --b RESP | --file pair.json) ' +
    '[--samples N] [--temperature T] [--seed S] [--max-new-tokens K] [--layout compact|full] [--json]',
  flags: {
    ...MODEL_FLAGS,
    prompt: text('The question both responses answer.'),
    a: text('Response A.'),
    b: text('Response B.'),
    file: pathFlag('A JSON file with {prompt, a, b}, instead of --prompt, --a and --b.'),
    samples: withDefault(
      int(1, 64, 'Judgements per order: 1 = greedy, N = sampled with a majority vote.'),
      JUDGE_DEFAULTS.samples,
    ),
    temperature: withDefault(
      { ...ruleOf('eval.temperature'), help: 'Sampling temperature when --samples > 1.' },
      JUDGE_DEFAULTS.temperature,
    ),
    seed: withDefault(
      { ...ruleOf('seed'), help: 'Sampling seed: the same seed gives the same samples.' },
      JUDGE_DEFAULTS.seed,
    ),
    'max-new-tokens': withDefault(
      int(1, 4096, "Most tokens per judgement; the model's context caps it further."),
      JUDGE_DEFAULTS.maxNewTokens,
    ),
    layout: withDefault(
      choice(['compact', 'full'] as const, "Prompt text: compact (our tiny judges) or full (RM-R1's)."),
      JUDGE_DEFAULTS.layout,
    ),
    json: withDefault(bool('Print one JSON object with everything needed to reproduce the judgement.'), false),
    backend: BACKEND_FLAG,
  },
});

/** The pair from --file (named in every complaint about it) or from --prompt, --a and --b. */
function readPair(): PairText {
  if (f.file !== undefined) {
    if (f.prompt !== undefined || f.a !== undefined || f.b !== undefined)
      throw new Error('--file and --prompt/--a/--b both given; use one');
    let pair: unknown;
    try {
      pair = JSON.parse(readFileSync(f.file, 'utf8'));
    } catch (e) {
      throw new Error(`--file ${f.file}: ${e instanceof SyntaxError ? 'not valid JSON: ' : ''}${(e as Error).message}`);
    }
    const p = pair as Partial<Record<keyof PairText, unknown>> | null;
    if (typeof p?.prompt !== 'string' || typeof p.a !== 'string' || typeof p.b !== 'string')
      throw new Error(`--file ${f.file}: needs {"prompt", "a", "b"}, each a string`);
    return { prompt: p.prompt, a: p.a, b: p.b };
  }
  if (f.prompt === undefined || f.a === undefined || f.b === undefined)
    throw new Error('give the pair as --prompt Q --a RESP --b RESP, or as --file pair.json (--help)');
  return { prompt: f.prompt, a: f.a, b: f.b };
}

const pair = readPair();
const judge = modelArg(f);
await relaunchForWebGPU(f.backend === 'webgpu');
const backend = await initNodeBackend(f.backend);
const model = await loadModelArg(judge, {
  report: backend,
  deviceGiB: f['device-memory'],
  weights: f.weights,
  maxNewTokens: f['max-new-tokens'],
});

// A JudgeInputError (text longer than the context, …) ends the CLI with its message (exitWithMessageOnError).
const result = await judgePair(model, pair, {
  samples: f.samples,
  temperature: f.temperature,
  seed: f.seed,
  maxNewTokens: f['max-new-tokens'],
  layout: f.layout,
});

/** The swap check in the Judge page's words: consistent, one-sided, flipped, or not possible. */
function swapCheck(r: JudgeResult): string {
  if (r.positionConsistent) return 'consistent';
  if (r.verdict === null && r.swappedVerdict === null) return 'not possible: no verdict in either order';
  if (r.verdict === null || r.swappedVerdict === null) return 'INCONSISTENT: only one order reached a verdict';
  return 'INCONSISTENT: the verdict flips when the responses swap places';
}

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
        model: judge.arg,
        checkpoint: judge.arg, // the field's older name, kept for scripts that read it
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
  console.log(`swap check (B/A): ${result.swappedVerdict ?? 'none'} -> ${swapCheck(result)}`);
}
process.exit(0);

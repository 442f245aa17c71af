// `npm run judge -- --checkpoint DIR (--prompt Q --a RESP --b RESP | --file pair.json) [--samples N] [--seed 1] [--json]`
// Judges one pair: prints the exact prompt fed to the model, the trace, the parsed rubric tree, the
// verdict and the swap check (B/A). With --samples N, N sampled judgements and the vote share.
// With --json, one object with everything needed to reproduce the judgement outside Rubric Lab.
import { readFileSync } from 'node:fs';
import { generate } from '../src/engine/generate';
import { initNodeBackend } from '../src/engine/node_webgpu';
import { judgePrompt, swappedJudgePrompt, flipVerdict } from '../src/rm/cor_prompt';
import { parseCor } from '../src/rm/cor_parser';
import { majority } from '../src/train/evaluate';
import { loadCheckpoint, parseFlags } from './cli_util';

const f = parseFlags(process.argv.slice(2));
const pair = f.file ? JSON.parse(readFileSync(f.file, 'utf8')) : { prompt: f.prompt, a: f.a, b: f.b };
if (!f.checkpoint || typeof pair.prompt !== 'string' || typeof pair.a !== 'string' || typeof pair.b !== 'string') {
  console.error('usage: npm run judge -- --checkpoint DIR (--prompt Q --a RESP --b RESP | --file pair.json with {prompt, a, b}) [--samples N] [--json]');
  process.exit(2);
}
await initNodeBackend((f.backend ?? 'wasm') as 'wasm');
const { params, cfg, tok } = await loadCheckpoint(f.checkpoint);
const samples = Number(f.samples ?? 1);
const seed = Number(f.seed ?? 1);

async function judge(text: string) {
  const enc = tok.encode(text, { bos: true });
  if (enc.unknown.length) console.error(`warning: ${enc.unknown.length} character(s) outside the vocabulary became <unk>: ${enc.unknown.slice(0, 5).map((u) => JSON.stringify(u.char) + '@' + u.index).join(', ')}`);
  if (enc.ids.length >= cfg.max_position_embeddings) throw new Error(`the prompt is ${enc.ids.length} tokens; this model's context is ${cfg.max_position_embeddings}`);
  const out = await generate(params, cfg, Array.from({ length: samples }, () => enc.ids), {
    maxNewTokens: cfg.max_position_embeddings - enc.ids.length, temperature: samples === 1 ? 0 : Number(f.temperature ?? 1), seed, eosId: tok.eosId, padId: tok.padId,
  });
  return out.tokens.map((ids, i) => {
    const trace = tok.decode(ids, { skipSpecial: true });
    const tree = parseCor(trace);
    return { prompt_text: text, prompt_ids: enc.ids, generated_ids: ids, trace, stop_reason: out.stopReasons[i], tree, verdict: tree.verdict };
  });
}

const original = await judge(judgePrompt(pair).text);
const swapped = await judge(swappedJudgePrompt({ id: 'cli', winner: 'tie', source: 'cli', ...pair }).text);
const vote = majority(original.map((j) => j.verdict));
const swapVote = majority(swapped.map((j) => flipVerdict(j.verdict)));
const result = {
  checkpoint: f.checkpoint, decoding: samples === 1 ? { greedy: true } : { samples, temperature: Number(f.temperature ?? 1), seed },
  verdict: vote.verdict, vote_share: vote.share, swapped_verdict: swapVote.verdict,
  position_consistent: vote.verdict !== null && vote.verdict === swapVote.verdict,
  judgements: original, swapped_judgements: swapped,
};
if (f.json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const j = original[0];
  console.log(`--- prompt fed to the model ---\n${j.prompt_text}\n--- trace (${j.stop_reason}) ---\n${j.trace}\n--- rubric tree ---`);
  const t = j.tree;
  console.log(`type: ${t.type ?? '(none)'}`);
  for (const item of t.rubric?.items ?? []) console.log(`  rubric ${item.index}: ${item.text}${item.weight !== undefined ? ` (${item.weight}%)` : ''}`);
  if (t.solution) console.log(`  solution: ${t.solution.text}`);
  for (const c of t.eval?.checks ?? []) console.log(`  check ${c.rubric ?? ''}${c.response}: ${c.verdict ?? ''}`);
  for (const e of t.errors) console.log(`  error (${e.kind}) at ${e.start}-${e.end}: ${e.message}`);
  console.log(`verdict: ${result.verdict ?? 'none'}${samples > 1 ? ` (vote share ${(100 * vote.share).toFixed(0)}% of ${samples})` : ''}`);
  console.log(`swap check (B/A): ${result.swapped_verdict ?? 'none'} -> ${result.position_consistent ? 'consistent' : 'INCONSISTENT'}`);
}
process.exit(0);

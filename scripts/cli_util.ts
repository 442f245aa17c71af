// Small helpers shared by the Node CLIs: flags parsed and checked by settings tables, --help, the one-line
// failure, a progress line, checkpoint save/load, and the held-out world of a checkpoint.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  encodeCheckpoint,
  modelFromFiles,
  modelFromSource,
  paramsToCheckpoint,
  type RunnableModel,
} from '../src/engine/checkpoint';
import { loadCheckpointDir, saveCheckpointDir } from '../src/engine/checkpoint_node';
import type { LlamaConfig } from '../src/engine/config';
import { WEIGHT_PRECISIONS, type WeightPrecision } from '../src/engine/f16_weights';
import type { BackendReport } from '../src/engine/backend';
import { memoryGuard } from '../src/engine/hf/memory_guard';
import { CONFIG_FILE, type ModelSource } from '../src/engine/hf/source';
import { openModelArg } from '../src/engine/hf/source_node';
import { backendMemoryLimits, PLAN_CONTEXT } from '../src/engine/memory';
import type { ModelParams } from '../src/engine/model';
import type { Tokenizer } from '../src/engine/tokenizer';
import type { Pair } from '../src/rm/pair';
import { makeSplits } from '../src/rm/world';
import { worldOptions } from '../src/train/pipeline';
import {
  applyOverrides,
  diffFromDefaults,
  fieldOf,
  fieldTable,
  parseRunSetting,
  RUN_DEFAULTS,
  type RunConfig,
  INFER_WEIGHTS,
} from '../src/train/run_config';
import {
  choice,
  describeTable,
  parseSettings,
  real,
  text,
  withDefault,
  type Table,
  type Values,
} from '../src/train/settings';

/** Any error that escapes a CLI ends it with one line, `error: <message>`, and exit code 1. Installed first,
 * so it runs before the WASM backend's own handler, which rethrows and buries the message under its
 * minified source. DEBUG=1 prints the stack too. */
export function exitWithMessageOnError(): void {
  const fail = (e: unknown) => {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.DEBUG) console.error(e);
    process.exit(1);
  };
  process.prependListener('uncaughtException', fail);
  process.prependListener('unhandledRejection', fail);
}

/** A CLI's command line: its usage line, its own flags (a settings table) and which run settings it takes. */
export interface CliSpec<F extends Table> {
  usage: string;
  flags: F;
  /** The run settings (train/run_config.ts) this CLI accepts as `--<key> value`; none when absent. */
  runSettings?: (key: string) => boolean;
}

const flagName = (key: string) => `--${key}`;

/** The --help text: usage, every flag with its help, range and default, then the run settings taken. */
export function cliHelp<F extends Table>(spec: CliSpec<F>): string {
  const run = spec.runSettings ? fieldTable().filter((f) => spec.runSettings!(f.key)) : [];
  return [
    `usage: ${spec.usage}`,
    'flags:',
    ...describeTable(spec.flags, flagName),
    ...(run.length
      ? ['run settings:', ...describeTable(Object.fromEntries(run.map((f) => [f.key, f])), flagName)]
      : []),
  ].join('\n');
}

/** `--key value` pairs (a boolean flag alone means true) split into the CLI's own flags, parsed and checked by
 * their table, and run-setting overrides, checked by the run field table. Unknown flags and bad values are
 * refused naming the flag, the value and what is allowed. `--help` prints cliHelp and exits. */
export function parseCli<F extends Table>(
  argv: string[],
  spec: CliSpec<F>,
): { flags: Values<F>; run: Record<string, string> } {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(cliHelp(spec));
    process.exit(0);
  }
  const own: Record<string, string> = {};
  const run: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`Unexpected argument "${a}" (flags look like --key value)`);
    const key = a.slice(2);
    const isOwn = Object.hasOwn(spec.flags, key);
    const isRun = !isOwn && spec.runSettings?.(key) === true && fieldOf(key) !== undefined;
    if (!isOwn && !isRun) {
      const more = spec.runSettings ? ' and the run settings' : '';
      throw new Error(`Unknown flag ${a}; known: ${Object.keys(spec.flags).map(flagName).join(', ')}${more} (--help)`);
    }
    const rule = isOwn ? spec.flags[key] : fieldOf(key)!;
    const next = argv[i + 1];
    let raw: string;
    if (next === undefined || next.startsWith('--')) {
      if (rule.type !== 'boolean') throw new Error(`${a} needs a value: ${rule.allowed}`);
      raw = 'true';
    } else {
      raw = next;
      i++;
    }
    const into = isOwn ? own : run;
    if (Object.hasOwn(into, key)) throw new Error(`${a} is given twice`);
    if (isRun) parseRunSetting(key, raw);
    into[key] = raw;
  }
  return { flags: parseSettings(spec.flags, own, flagName, 'flag'), run };
}

/** `--key value` and `--flag` (boolean true) pairs, unchecked (parseCli checks them against a table). */
export function parseFlags(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`Unexpected argument "${a}" (flags look like --key value)`);
    const key = a.slice(2);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[key] = 'true';
    else {
      out[key] = next;
      i++;
    }
  }
  return out;
}

/** A file or folder path: any text but an empty one. */
export const pathFlag = (help: string) => text(help, (t) => (t.trim() === '' ? 'it is empty' : null), 'a path');

/** The tfjs backends a Node process can start (WebGL needs a browser). */
export const NODE_BACKENDS = ['wasm', 'webgpu', 'cpu'] as const;

/** The tfjs backend of a Node CLI. */
export const BACKEND_FLAG = withDefault(
  choice(NODE_BACKENDS, 'tfjs backend: wasm (fast CPU path), webgpu (Dawn: a GPU, or SwiftShader), cpu.'),
  'wasm',
);

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const r = Math.round(s),
    m = Math.floor(r / 60);
  return m ? `${m}m${String(r % 60).padStart(2, '0')}s` : `${r}s`;
}

/** One status line, redrawn in place on a terminal; plain lines every `every` calls otherwise. */
export function progress(label: string, done: number, total: number, startedMs: number, extra = ''): void {
  const frac = total ? done / total : 0;
  const width = 24,
    filled = Math.round(frac * width);
  const elapsed = (performance.now() - startedMs) / 1000;
  const eta = done ? (elapsed / done) * (total - done) : NaN;
  const line =
    `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${extra} elapsed ` +
    `${formatSeconds(elapsed)} eta ${formatSeconds(eta)}`;
  if (process.stdout.isTTY) process.stdout.write(`\r${line.padEnd(120)}${done === total ? '\n' : ''}`);
  else if (done === total || done % Math.max(1, Math.round(total / 20)) === 0) console.log(line);
}

export async function saveCheckpoint(
  dir: string,
  params: ModelParams,
  cfg: LlamaConfig,
  tok: Tokenizer,
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await saveCheckpointDir(dir, encodeCheckpoint(await paramsToCheckpoint(params, cfg, tok)));
}

export async function loadCheckpoint(dir: string): Promise<RunnableModel> {
  return modelFromFiles(await loadCheckpointDir(dir));
}

/** A CLI's `--model` and its older name `--checkpoint`: both optional in the table, one required (modelArg);
 * `--device-memory`, the budget the model's memory plan is checked against before its weights. */
export const MODEL_FLAGS = {
  model: pathFlag(
    'The model (required): a folder (one of our checkpoints, or a Hugging Face model: config.json, *.safetensors, ' +
      'tokenizer files) or hf:owner/name[@revision] (downloaded into $RUBRIC_LAB_CACHE from $HF_ENDPOINT or ' +
      'the Hub, with $HF_TOKEN for gated models).',
  ),
  checkpoint: pathFlag('The same as --model (its older name).'),
  weights: withDefault(
    choice(
      WEIGHT_PRECISIONS,
      'How WebGPU holds the frozen matrices (embedding, projections, LM head): f16 = half-precision words read by ' +
        'our kernels (half the bytes; refused, with the reason, for a model with weights past 65504), f32 = float32. ' +
        'Other backends use f32.',
    ),
    INFER_WEIGHTS,
  ),
  'device-memory': real(
    1 / 1024,
    1024,
    'GiB the model may take (weights as float32, KV cache, activations): a model whose memory plan is past it ' +
      "is refused before its weights are downloaded or read. Default: WASM's 4 GiB heap; on WebGPU only the " +
      "adapter's buffer limits are checked.",
  ),
};

/** The model a CLI was given, and the flag it came by (errors name it). */
export function modelArg(f: { model?: string; checkpoint?: string }): { arg: string; flag: string } {
  if (f.model !== undefined && f.checkpoint !== undefined)
    throw new Error('--model and --checkpoint both given; use one');
  if (f.model !== undefined) return { arg: f.model, flag: '--model' };
  if (f.checkpoint !== undefined) return { arg: f.checkpoint, flag: '--checkpoint' };
  throw new Error(`--model is required: ${MODEL_FLAGS.model.help}`);
}

/** What a model is planned for before its weights: the backend's limits and the new tokens a CLI asks for. */
export interface CliModelPlan {
  report: BackendReport;
  deviceGiB?: number; // --device-memory
  maxNewTokens: number;
  /** Pack q|k|v and gate|up as the weights load (default): a model to infer with; training needs them apart. */
  pack?: boolean;
  /** How WebGPU holds the model's matrices (engine/f16_weights.ts): --weights to infer, lora.base to train. */
  weights?: WeightPrecision;
}

/** A model from --model: the backend named on stderr, a folder read in place or a Hub model through the cache
 * (progress on stderr), its
 * memory planned first (engine/memory.ts; refused with the plan's numbers when it cannot fit, before any
 * weight is downloaded or read), its weights converted tensor by tensor and, unless told not to, packed to infer
 * with (engine/packed_weights.ts). Errors name the flag they came by. */
export async function loadModelArg(
  { arg, flag }: { arg: string; flag: string },
  plan: CliModelPlan,
): Promise<RunnableModel> {
  process.stderr.write(`${plan.report.summary}\n`);
  const limits = backendMemoryLimits(plan.report, plan.deviceGiB === undefined ? undefined : plan.deviceGiB * 2 ** 30);
  // one judgement at the page's planned prompt length: whether the model fits at all (a batch's size is the
  // batch setting's business; its prompts' lengths are not known before they are tokenized)
  // the matrices in half precision where they load so (on WebGPU, hf/weights.ts)
  const f16 = plan.weights === 'f16' && plan.report.name === 'webgpu';
  const request = {
    ...PLAN_CONTEXT,
    maxNewTokens: plan.maxNewTokens,
    weights: f16 ? ('f16' as const) : ('f32' as const),
  };
  let planned = false;
  const guard = (config: Record<string, unknown>) => {
    planned = true;
    return memoryGuard(limits, request)(config);
  };
  try {
    // a Hub model is planned before its download; a folder, or a snapshot the cache holds, before its read
    const source = await openModelArg(arg, { beforeWeights: guard });
    if (!planned) await guard(await configJson(source));
    const onF16Refused = (why: string) => process.stderr.write(`${why}\n`);
    return await modelFromSource(source, { pack: plan.pack ?? true, weights: plan.weights, onF16Refused });
  } catch (e) {
    const message = (e as Error).message.replace(/^--model /, `${flag} `);
    throw new Error(message.includes(arg) ? message : `${flag} ${arg}: ${message}`);
  }
}

async function configJson(source: ModelSource): Promise<Record<string, unknown>> {
  const bytes = await source.read(CONFIG_FILE);
  if (!bytes) throw new Error(`no ${CONFIG_FILE}`);
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

export function appendJsonl(path: string, row: unknown): void {
  appendFileSync(path, `${JSON.stringify(row)}\n`);
}

/** The settings of the run a checkpoint came from, when it sits in a run folder (`runs/X/checkpoints/NAME`
 * → `runs/X/config.json`); null for a checkpoint on its own. Settings the file lacks keep their defaults. */
export function savedRunConfig(checkpoint: string): { run: RunConfig; path: string } | null {
  const path = join(checkpoint, '..', '..', 'config.json');
  if (!existsSync(path)) return null;
  let saved: unknown;
  try {
    saved = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${e instanceof Error ? e.message : e})`);
  }
  if (saved === null || typeof saved !== 'object') throw new Error(`${path}: not a run's settings`);
  try {
    return { run: applyOverrides(RUN_DEFAULTS, diffFromDefaults(saved as RunConfig)), path };
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

/** The run settings that pick a checkpoint's held-out world: the seed and the world's knobs. */
export const worldSetting = (key: string) => key === 'seed' || key.startsWith('world.');

/** The held-out synthetic pairs a checkpoint is judged on: the world of its run (so `--n` equal to the
 * run's world.nEval gives exactly the pairs the run evaluated), else the recipe's defaults; `--seed` and
 * `--world.<knob>` flags override. Also says where the settings came from. */
export function heldOutWorld(
  checkpoint: string,
  flags: Record<string, string>,
  n: number,
): { pairs: Pair[]; run: RunConfig; from: string } {
  const saved = savedRunConfig(checkpoint);
  const own = Object.fromEntries(Object.entries(flags).filter(([k]) => worldSetting(k)));
  const run = applyOverrides(saved?.run ?? RUN_DEFAULTS, own);
  const pairs = makeSplits({ ...worldOptions(run), nDistill: 0, nGrpo: 0, nEval: n }).eval;
  const w = run.world;
  const from = `${saved ? `the run's world (${saved.path})` : "the recipe's default world"}${
    Object.keys(own).length
      ? ` with ${Object.entries(own)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}`
      : ''
  }: seed ${run.seed}, ${w.digits} digit(s), ≤ ${w.maxConstraints} constraints, tasks ${w.reasoningTasks}`;
  return { pairs, run, from };
}

// The synthetic generator's form: one row per knob of the world (rm/world.ts) with its range and a one-line
// meaning (knobs a run also sets take theirs from the run field table, train/run_config.ts), the inputs kept
// as typed (strings), and validation that turns them into generatePairs options or says, per field, what is
// wrong. Pure; leaves out drawing the pairs.
import { CATEGORIES, type Category } from '../rm/pair';
import { apportion, DEFAULT_KNOBS, type WorldKnobs } from '../rm/world';
import { ruleOf } from '../train/run_config';

export const MAX_PAIRS = 20_000; // a few MB in IndexedDB, and the world runs out of new safety prompts well before more

export interface GenField {
  key: string;
  label: string;
  help: string;
  min: number;
  max: number;
  integer: boolean;
  default: number;
}

const mixHelp: Record<Category, string> = {
  chat: 'instructions with checkable constraints; the rejected answer clearly breaks one',
  'chat-hard': 'like chat, but the break is subtle and the rejected answer is often the longer one',
  safety: 'harmful requests (the chosen answer refuses) and alarming-sounding harmless ones (it helps)',
  reasoning: 'arithmetic and symbol tasks with one exact answer; the rejected answer holds a plausible slip',
};

const KNOB_LABELS = { digits: 'digits', maxConstraints: 'max constraints', maxWords: 'max words' } as const;

/** A knob the run settings share (world.digits, …): its range, help and default from the run field table. */
function worldKnob(k: keyof typeof KNOB_LABELS): GenField {
  const f = ruleOf(`world.${k}`);
  return {
    key: k,
    label: KNOB_LABELS[k],
    help: f.help,
    min: f.min!,
    max: f.max!,
    integer: true,
    default: DEFAULT_KNOBS[k],
  };
}

/** Every knob, in form order. Mix shares are relative: 1/1/1/1 is RewardBench's equal weighting. */
export const GEN_FIELDS: readonly GenField[] = [
  {
    key: 'n',
    label: 'pairs',
    help: `How many pairs to draw (1–${MAX_PAIRS.toLocaleString('en-US')}); the mix splits them exactly.`,
    min: 1,
    max: MAX_PAIRS,
    integer: true,
    default: 1000,
  },
  {
    key: 'seed',
    label: 'seed',
    help: 'The same seed and knobs always give the same pairs.',
    min: 0,
    max: 2 ** 32 - 1,
    integer: true,
    default: 1,
  },
  ...CATEGORIES.map((c) => ({
    key: `mix.${c}`,
    label: `${c} share`,
    help: `Relative share of ${c}: ${mixHelp[c]}.`,
    min: 0,
    max: 100,
    integer: false,
    default: DEFAULT_KNOBS.mix[c],
  })),
  ...(['digits', 'maxConstraints', 'maxWords'] as const).map((k) => worldKnob(k)),
  {
    key: 'hardLongerRate',
    label: 'hard longer rate',
    help: 'chat-hard: share of pairs whose rejected answer is the longer (the length trap); 0.5 = no trap.',
    min: 0,
    max: 1,
    integer: false,
    default: DEFAULT_KNOBS.hardLongerRate,
  },
];

/** The inputs as typed, by field key, plus the dataset name. */
export type GenForm = Record<string, string>;

export const defaultGenForm = (): GenForm =>
  Object.fromEntries([['name', ''], ...GEN_FIELDS.map((f) => [f.key, String(f.default)])]);

export interface GenOptions extends Omit<WorldKnobs, 'reasoningTasks'> {
  n: number;
  seed: number;
}

export type GenCheck =
  | { ok: true; options: GenOptions; errors: Record<string, never> }
  | { ok: false; options: null; errors: Record<string, string> };

const fmt = (x: number) => x.toLocaleString('en-US');

/** One field's number, or the reason it is not acceptable. */
function checkField(f: GenField, raw: string | undefined): number | string {
  const text = (raw ?? '').trim();
  const x = text === '' ? NaN : Number(text);
  const range = `between ${fmt(f.min)} and ${fmt(f.max)}`;
  if (!Number.isFinite(x)) return `${f.label} must be a number ${range}${text ? ` (got "${text}")` : ''}`;
  if (f.integer && !Number.isInteger(x)) return `${f.label} must be a whole number ${range} (got ${text})`;
  if (x < f.min || x > f.max) return `${f.label} must be ${range} (got ${text})`;
  return x;
}

/** Validates every field; on success the options for generatePairs (the world's other knobs stay default). */
export function checkGenForm(form: GenForm): GenCheck {
  const errors: Record<string, string> = {};
  const v: Record<string, number> = {};
  for (const f of GEN_FIELDS) {
    const r = checkField(f, form[f.key]);
    if (typeof r === 'string') errors[f.key] = r;
    else v[f.key] = r;
  }
  const mixKeys = CATEGORIES.map((c) => `mix.${c}`);
  if (mixKeys.every((k) => v[k] === 0)) errors['mix.chat'] = 'at least one section needs a share above 0';
  if (Object.keys(errors).length > 0) return { ok: false, options: null, errors };
  const mix = Object.fromEntries(CATEGORIES.map((c) => [c, v[`mix.${c}`]])) as Record<Category, number>;
  const options = {
    n: v.n,
    seed: v.seed,
    mix,
    digits: v.digits,
    maxConstraints: v.maxConstraints,
    maxWords: v.maxWords,
    hardLongerRate: v.hardLongerRate,
  };
  return { ok: true, options, errors: {} };
}

/** The per-section counts the options will draw (exact, the world's own apportioning). */
export const previewCounts = (o: GenOptions): Record<Category, number> => apportion(o.n, o.mix);

/** The dataset name: the typed one, else one that says what it holds. */
export const genDatasetName = (form: GenForm, o: GenOptions) =>
  form.name?.trim() || `synthetic seed ${o.seed} · ${fmt(o.n)} pairs`;

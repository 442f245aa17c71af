// A setting's rule: its type, its range or choices, a one-line help and how a form draws it, and the one
// parser that turns typed text (a CLI flag, a URL parameter, a form field) into its value or refuses it
// with a message naming the setting, the value and what is allowed. The run settings (run_config.ts), each
// CLI's own flags and the bench options are tables of these rules. Leaves out where the text comes from.

/** How a form draws the setting: lists with known items are checkboxes, other lists a validated text field. */
export type InputKind = 'number' | 'select' | 'checkbox' | 'checkboxes' | 'text';

export type Parsed<T> = { ok: true; value: T } | { ok: false; why?: string };

export interface Rule<T = unknown> {
  type: 'number' | 'string' | 'boolean' | 'list';
  input: InputKind;
  help: string;
  /** What is allowed, as the end of "X must be …": "a whole number from 1 to 3", "one of cosine, constant". */
  allowed: string;
  min?: number;
  max?: number;
  integer?: boolean;
  /** The choices of a select, or the items of a checkbox list. */
  options?: readonly string[];
  parse(raw: string): Parsed<T>;
  format(value: T): string;
}

/** Parses `raw` by the rule, or throws `<label> must be <allowed>[: why] (got "<raw>")`. */
export function parseSetting<T>(label: string, rule: Rule<T>, raw: string): T {
  const r = rule.parse(raw);
  if (r.ok) return r.value;
  throw new Error(`${label} must be ${rule.allowed}${r.why ? `: ${r.why}` : ''} (got "${raw}")`);
}

/** The message parseSetting would throw, or null when `raw` is acceptable (for a form's inline error). */
export function settingError(label: string, rule: Rule, raw: string): string | null {
  try {
    parseSetting(label, rule, raw);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(why?: string): Parsed<T> => ({ ok: false, why });

/** A number in [min, max]; whole numbers only when `integer`. */
export function numberRule(min: number, max: number, help: string, integer: boolean): Rule<number> {
  return {
    type: 'number',
    input: 'number',
    help,
    allowed: `${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`,
    min,
    max,
    integer,
    parse(raw) {
      const text = raw.trim();
      const x = text === '' ? NaN : Number(text);
      if (!Number.isFinite(x) || (integer && !Number.isInteger(x))) return bad();
      return x < min || x > max ? bad() : ok(x);
    },
    format: String,
  };
}

export const int = (min: number, max: number, help: string) => numberRule(min, max, help, true);
export const real = (min: number, max: number, help: string) => numberRule(min, max, help, false);

/** One of a few names. */
export function choice<T extends string>(options: readonly T[], help: string): Rule<T> {
  return {
    type: 'string',
    input: 'select',
    help,
    allowed: `one of ${options.join(', ')}`,
    options,
    parse: (raw) => ((options as readonly string[]).includes(raw.trim()) ? ok(raw.trim() as T) : bad()),
    format: String,
  };
}

/** true or false; 1 and 0 too (the bench page's links use them). */
export function bool(help: string): Rule<boolean> {
  return {
    type: 'boolean',
    input: 'checkbox',
    help,
    allowed: 'true or false',
    parse: (raw) => {
      const t = raw.trim();
      return t === 'true' || t === '1' ? ok(true) : t === 'false' || t === '0' ? ok(false) : bad();
    },
    format: String,
  };
}

/** Free text (a path, a name); `check` says why a text is not acceptable. */
export function text(help: string, check: (t: string) => string | null = () => null, allowed = 'a text'): Rule<string> {
  return {
    type: 'string',
    input: 'text',
    help,
    allowed,
    parse: (raw) => {
      const why = check(raw);
      return why ? bad(why) : ok(raw);
    },
    format: String,
  };
}

export interface ListOptions<T extends string = string> {
  /** The allowed items (drawn as checkboxes); else `check` judges each item (a validated text field). */
  items?: readonly T[];
  check?: (item: string) => string | null;
  /** What an item is, for the message when `check` is used: "a category or category/subset". */
  itemIs?: string;
  /** Fewest items: 1 where an empty list means nothing to do, 0 where it means "all" or "none". */
  minItems: number;
}

const splitItems = (raw: string) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** A comma-separated list, kept as the list of its items. */
export function list<T extends string = string>(help: string, o: ListOptions<T>): Rule<T[]> {
  const what = o.items ? `of ${o.items.join(', ')}` : `of ${o.itemIs ?? 'items'}`;
  return {
    type: 'list',
    input: o.items ? 'checkboxes' : 'text',
    help,
    allowed: `a comma-separated list ${what}${o.minItems > 0 ? ` (at least ${o.minItems})` : ''}`,
    options: o.items,
    parse(raw) {
      const items = splitItems(raw) as T[];
      const unknown = o.items ? items.filter((x) => !o.items!.includes(x)) : [];
      if (unknown.length) return bad(`unknown ${unknown.map((u) => `"${u}"`).join(', ')}`);
      const why = o.check && items.map(o.check).find((w) => w !== null);
      if (why) return bad(why);
      if (new Set(items).size < items.length) return bad('an item is listed twice');
      return items.length < o.minItems ? bad('too few items') : ok(items);
    },
    format: (v) => v.join(','),
  };
}

/** The same list kept as one comma-joined string (run settings keep lists as text, as config.json has them). */
export function csv<T extends string>(rule: Rule<T[]>): Rule<string> {
  return {
    ...rule,
    parse(raw) {
      const r = rule.parse(raw);
      return r.ok ? ok(r.value.join(',')) : r;
    },
    format: String,
  };
}

/** A comma-separated list of whole numbers in [min, max] (e.g. batch sizes to time). */
export function intList(min: number, max: number, help: string): Rule<number[]> {
  const item = int(min, max, help);
  return {
    type: 'list',
    input: 'text',
    help,
    allowed: `a comma-separated list of whole numbers from ${min} to ${max}`,
    min,
    max,
    integer: true,
    parse(raw) {
      const items = splitItems(raw);
      const wrong = items.filter((x) => !item.parse(x).ok);
      return wrong.length ? bad(`not allowed: ${wrong.join(', ')}`) : ok(items.map(Number));
    },
    format: (v) => v.join(','),
  };
}

/** A row of a settings table: a rule, with its default or marked required (a CLI's --checkpoint). */
export type Setting<T = unknown> = Rule<T> & { default?: T; required?: boolean };
export type Table = Record<string, Setting>;

type ValueOf<S> = S extends Rule<infer T> ? T : never;
/** The parsed table: settings with a default or required have a value; the others may be undefined. */
export type Values<F extends Table> = {
  [K in keyof F]: F[K] extends { default: unknown } | { required: true } ? ValueOf<F[K]> : ValueOf<F[K]> | undefined;
};

export const withDefault = <T>(rule: Rule<T>, value: T): Rule<T> & { default: T } => ({ ...rule, default: value });
export const required = <T>(rule: Rule<T>): Rule<T> & { required: true } => ({ ...rule, required: true });

/** Parses every given text by its row; refuses an unknown key (naming the known ones) and a missing required
 * one; absent settings take their defaults. `label` names a key in messages (`--n`, `steps`). */
export function parseSettings<F extends Table>(
  table: F,
  raw: Record<string, string>,
  label: (key: string) => string,
  noun = 'setting',
): Values<F> {
  const unknown = Object.keys(raw).find((k) => !Object.hasOwn(table, k));
  if (unknown !== undefined)
    throw new Error(`Unknown ${noun} ${label(unknown)}; known: ${Object.keys(table).map(label).join(', ')}`);
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(table)) {
    if (Object.hasOwn(raw, key)) out[key] = parseSetting(label(key), s, raw[key]);
    else if (s.required) throw new Error(`${label(key)} is required: ${s.help}`);
    else out[key] = s.default;
  }
  return out as Values<F>;
}

/** One line per setting for a usage text: name, help, then what is allowed and the default. */
export function describeTable(table: Table, label: (key: string) => string): string[] {
  return Object.entries(table).map(([key, s]) => {
    const shown = s.default === undefined ? '' : s.format(s.default) || 'empty';
    const dflt = s.required ? 'required' : shown ? `default ${shown}` : 'optional';
    return `  ${label(key)}  ${s.help} [${s.allowed}; ${dflt}]`;
  });
}

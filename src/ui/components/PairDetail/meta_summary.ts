// A pair's `meta` as short lines for the detail view: each field's value as compact JSON, clipped, and
// the synthetic world's `truth` as what kind of task it is (the rubric tree shows the rest). Pure.
const MAX_CHARS = 160;

const clip = (s: string) => (s.length > MAX_CHARS ? `${s.slice(0, MAX_CHARS)}…` : s);

function show(v: unknown): string {
  if (typeof v === 'string') return clip(v);
  try {
    return clip(JSON.stringify(v) ?? String(v));
  } catch {
    return clip(String(v)); // a cycle or a BigInt cannot come from JSON, but meta is typed unknown
  }
}

export function metaSummary(meta: Record<string, unknown> | undefined): [string, string][] {
  if (!meta) return [];
  return Object.entries(meta).map(([k, v]) => {
    const kind = k === 'truth' && typeof v === 'object' && v !== null ? (v as { kind?: unknown }).kind : undefined;
    return [k, typeof kind === 'string' ? `${kind} task (ground truth for the oracle)` : show(v)];
  });
}

// Tokens per second while a judgement writes, from the trace events: each judgement's (order, sample) token
// count as reported and when. All judgements of a request decode together, one readback reporting each of
// them, so the rate is over the batch and counted from the first readback on: the time before it (model
// load, prefill of the prompt) is not decoding. With n_k⁰ judgement k's tokens at its first report, n_k its
// latest, t⁰ the first report's time and t the latest: rate = Σ_k (n_k − n_k⁰) / (t − t⁰).
export interface SpeedMeter {
  rows: Record<string, { first: number; now: number }>; // tokens per judgement: at its first report, latest
  firstAt: number | null; // ms
  lastAt: number | null;
}

export const startMeter = (): SpeedMeter => ({ rows: {}, firstAt: null, lastAt: null });

/** The meter after judgement `key` reported `tokens` tokens so far at `at` ms. */
export function countTokens(m: SpeedMeter, key: string, tokens: number, at: number): SpeedMeter {
  const row = m.rows[key];
  return {
    rows: { ...m.rows, [key]: { first: row?.first ?? tokens, now: tokens } },
    firstAt: m.firstAt ?? at,
    lastAt: at,
  };
}

/** Tokens written so far, every judgement together. */
export const tokensWritten = (m: SpeedMeter): number => Object.values(m.rows).reduce((n, r) => n + r.now, 0);

/** The decoding rate in tokens/s; null until a second readback has come. */
export function tokensPerSecond(m: SpeedMeter): number | null {
  if (m.firstAt === null || m.lastAt === null || m.lastAt <= m.firstAt) return null;
  const decoded = Object.values(m.rows).reduce((n, r) => n + r.now - r.first, 0);
  return decoded > 0 ? (decoded * 1000) / (m.lastAt - m.firstAt) : null;
}

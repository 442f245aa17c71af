// Tables keyed by data (subset names, tensor names, tokens read from a file): objects without a prototype,
// so "__proto__", "constructor" or "toString" is a key like any other. Reading a missing key gives
// undefined, writing one never reaches Object.prototype, and JSON.stringify writes the table as usual.

/** A prototype-free table holding `entries` (later entries win). */
export function keyedTable<V>(entries: Iterable<readonly [string, V]> = []): Record<string, V> {
  const table = Object.create(null) as Record<string, V>;
  for (const [key, value] of entries) table[key] = value;
  return table;
}

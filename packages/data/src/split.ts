/**
 * Deterministic train/validation split. A record's side depends only on the
 * seed and its own sample ID (never on row order, and not on the other records
 * except when one side would be empty), so the same seed gives the same split
 * on every load and as a site adds patients.
 */

/** mulberry32: a small, well-mixed 32-bit PRNG; returns its first output in [0, 1). */
function mulberry32(state: number): number {
  const a = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(a ^ (a >>> 15), 1 | a);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** FNV-1a over UTF-16 code units, starting from `basis`. */
function fnv1a(text: string, basis: number): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A record's position in [0, 1) for `seed`; it goes to validation when below the fraction. */
export function splitPosition(id: string, seed: number): number {
  // Hashing the seed through the PRNG first decorrelates neighbouring seeds (0, 1, 2...).
  const seedWord = Math.floor(mulberry32(seed >>> 0) * 4294967296) ^ Math.floor(seed / 4294967296);
  return mulberry32(fnv1a(id, seedWord ^ 0x811c9dc5));
}

/**
 * 1 marks a validation record, 0 a training one. With at least 2 records, each
 * side gets at least one: the record closest to the cut moves across.
 */
export function assignSplit(ids: readonly string[], seed: number, validationFraction: number): Uint8Array {
  const n = ids.length;
  const side = new Uint8Array(n);
  const pos = ids.map((id) => splitPosition(id, seed));
  let validation = 0;
  for (let i = 0; i < n; i++) {
    if ((pos[i] ?? 1) < validationFraction) {
      side[i] = 1;
      validation++;
    }
  }
  if (n < 2) return side;
  // Ties on position are broken by ID so the choice is order-independent too.
  const before = (i: number, j: number): boolean => (pos[i] ?? 0) < (pos[j] ?? 0) || (pos[i] === pos[j] && (ids[i] ?? '') < (ids[j] ?? ''));
  if (validation === 0) {
    let best = 0;
    for (let i = 1; i < n; i++) if (before(i, best)) best = i;
    side[best] = 1;
  } else if (validation === n) {
    let best = 0;
    for (let i = 1; i < n; i++) if (before(best, i)) best = i;
    side[best] = 0;
  }
  return side;
}

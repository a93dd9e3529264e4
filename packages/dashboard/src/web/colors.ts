/**
 * Stable colours: a site keeps its colour across charts, snapshots and reports
 * because it is a hash of the name into a fixed palette (Tableau 10, chosen for
 * telling lines apart, including for the common colour-vision deficiencies).
 */
export const PALETTE = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f',
  '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#79706e',
] as const;

/** FNV-1a over UTF-16 code units: tiny, deterministic, well spread for short names. */
export function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i += 1) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function colorFor(name: string): string {
  return PALETTE[hashName(name) % PALETTE.length] ?? PALETTE[0];
}

/** "#rrggbb" with an alpha, for bar fills. */
export function withAlpha(hex: string, alpha: number): string {
  const a = Math.round(Math.min(1, Math.max(0, alpha)) * 255);
  return `${hex}${a.toString(16).padStart(2, '0')}`;
}

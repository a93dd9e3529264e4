import { CohortError } from '@cohortfl/wire';
import { GROUP_LIMITS } from './check-inputs.js';
import { checkBins, compareKeys } from './eval-stats.js';
import type { EvalCounts, EvalStats } from './eval-stats.js';

export interface EvalCountsJSON {
  pos: number[];
  neg: number[];
  brierSum: number;
  n: number;
}

/**
 * The JSON-safe form of EvalStats: what a site sends to the coordinator. A value a
 * site suppressed under its small-cell rule is present with SUPPRESSED_CELL's shape
 * (empty count arrays, n = 0, brierSum = 0), whatever its true size.
 */
export interface EvalStatsJSON {
  bins: number;
  overall: EvalCountsJSON;
  byGroup: Record<string, Record<string, EvalCountsJSON>>;
  /** σ of the discrete Gaussian noise on every count; absent when the counts are exact. */
  noiseSigma?: number;
}

/** A suppressed subgroup value on the wire: the same few bytes for any true count. */
export const SUPPRESSED_CELL: Readonly<EvalCountsJSON> = Object.freeze({ pos: [], neg: [], brierSum: 0, n: 0 });

/** Whether a cell on the wire is the suppressed marker. */
export function isSuppressedCell(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Partial<EvalCountsJSON>;
  return Array.isArray(c.pos) && c.pos.length === 0 && Array.isArray(c.neg) && c.neg.length === 0 && c.n === 0 && c.brierSum === 0;
}

const UINT32_MAX = 0xffff_ffff;

function countsToJSON(c: EvalCounts): EvalCountsJSON {
  return { pos: Array.from(c.pos), neg: Array.from(c.neg), brierSum: c.brierSum, n: c.n };
}

export function toJSON(stats: EvalStats): EvalStatsJSON {
  const columns = new Set([...Object.keys(stats.byGroup), ...Object.keys(stats.suppressed ?? {})]);
  return {
    bins: stats.bins,
    overall: countsToJSON(stats.overall),
    byGroup: Object.fromEntries(
      [...columns].sort(compareKeys).map((column) => {
        const released = Object.entries(stats.byGroup[column] ?? {}).map(([value, c]): [string, EvalCountsJSON] => [value, countsToJSON(c)]);
        const withheld = (stats.suppressed?.[column] ?? []).map((value): [string, EvalCountsJSON] => [value, { ...SUPPRESSED_CELL, pos: [], neg: [] }]);
        return [column, Object.fromEntries([...released, ...withheld].sort(([a], [b]) => compareKeys(a, b)))];
      }),
    ),
    ...(stats.noiseSigma !== undefined ? { noiseSigma: stats.noiseSigma } : {}),
  };
}

function invalid(where: string, problem: string): CohortError {
  return new CohortError('DATA_INVALID', `evaluation statistics: ${where} ${problem}`, { details: { where } });
}

function plainObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(where, 'is not an object');
  return value as Record<string, unknown>;
}

function exactKeys(obj: Record<string, unknown>, keys: readonly string[], where: string): void {
  const actual = Object.keys(obj);
  const unknown = actual.find((k) => !keys.includes(k));
  if (unknown !== undefined) throw invalid(where, `has an unknown field '${unknown.slice(0, 64)}'`);
  const missing = keys.find((k) => !Object.hasOwn(obj, k));
  if (missing !== undefined) throw invalid(where, `is missing '${missing}'`);
}

function countArray(value: unknown, bins: number, where: string): Uint32Array {
  if (!Array.isArray(value) || value.length !== bins) throw invalid(where, `is not an array of ${bins} counts`);
  const out = new Uint32Array(bins);
  for (let i = 0; i < bins; i++) {
    const v: unknown = value[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > UINT32_MAX) {
      throw invalid(`${where}[${i}]`, 'is not an unsigned 32-bit integer');
    }
    out[i] = v;
  }
  return out;
}

function sum(a: Uint32Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

function countsFromJSON(value: unknown, bins: number, where: string): EvalCounts {
  const obj = plainObject(value, where);
  exactKeys(obj, ['pos', 'neg', 'brierSum', 'n'], where);
  const pos = countArray(obj.pos, bins, `${where}.pos`);
  const neg = countArray(obj.neg, bins, `${where}.neg`);
  const { n, brierSum } = obj;
  if (n !== sum(pos) + sum(neg)) throw invalid(`${where}.n`, 'is not the total of the counts');
  // Each squared error lies in [0, 1], so the sum lies in [0, n].
  if (typeof brierSum !== 'number' || !(brierSum >= 0 && brierSum <= n)) {
    throw invalid(`${where}.brierSum`, 'is not a number in [0, n]');
  }
  return { pos, neg, brierSum, n };
}

/**
 * The values of a column must partition the overall counts (each example has one value);
 * with values suppressed, the released ones must fit within them.
 */
function checkPartition(overall: EvalCounts, values: EvalCounts[], where: string, partial: boolean): void {
  for (let i = 0; i < overall.pos.length; i++) {
    let p = 0;
    let q = 0;
    for (const c of values) {
      p += c.pos[i] ?? 0;
      q += c.neg[i] ?? 0;
    }
    const fits = partial ? p <= overall.pos[i]! && q <= overall.neg[i]! : p === overall.pos[i] && q === overall.neg[i];
    if (!fits) throw invalid(where, `does not add up to the overall counts in bin ${i}`);
  }
  if (partial) return;
  const brier = values.reduce((s, c) => s + c.brierSum, 0);
  // Sums of the same squares in another order differ only by rounding.
  if (Math.abs(brier - overall.brierSum) > 1e-9 + 1e-6 * overall.brierSum) {
    throw invalid(where, 'brierSum does not add up to the overall brierSum');
  }
}

/** Parses and checks statistics received from a site; refuses anything inconsistent (DATA_INVALID). */
export function fromJSON(value: unknown): EvalStats {
  const obj = plainObject(value, 'root');
  const noised = Object.hasOwn(obj, 'noiseSigma');
  exactKeys(obj, noised ? ['bins', 'overall', 'byGroup', 'noiseSigma'] : ['bins', 'overall', 'byGroup'], 'root');
  const noiseSigma = obj.noiseSigma;
  if (noised && (typeof noiseSigma !== 'number' || !Number.isFinite(noiseSigma) || noiseSigma <= 0)) {
    throw invalid('noiseSigma', 'is not a positive number');
  }
  const bins = checkBins(obj.bins, 'DATA_INVALID');
  const overall = countsFromJSON(obj.overall, bins, 'overall');
  const groupsIn = Object.entries(plainObject(obj.byGroup, 'byGroup'));
  if (groupsIn.length > GROUP_LIMITS.MAX_COLUMNS) throw invalid('byGroup', `has more than ${GROUP_LIMITS.MAX_COLUMNS} columns`);
  const byGroup: [string, Record<string, EvalCounts>][] = [];
  const suppressed: [string, string[]][] = [];
  for (const [column, valuesIn] of groupsIn) {
    if (column.length === 0 || column.length > GROUP_LIMITS.MAX_NAME_LENGTH) throw invalid('byGroup', 'has a bad column name');
    const where = `byGroup column ${byGroup.length}`;
    const entries = Object.entries(plainObject(valuesIn, where));
    if (entries.length > GROUP_LIMITS.MAX_VALUES_PER_COLUMN) {
      throw invalid(where, `has more than ${GROUP_LIMITS.MAX_VALUES_PER_COLUMN} values`);
    }
    const withheld: string[] = [];
    const parsed: [string, EvalCounts][] = [];
    entries.forEach(([v, c], k) => {
      if (v.length > GROUP_LIMITS.MAX_NAME_LENGTH) throw invalid(where, 'has a value name that is too long');
      if (isSuppressedCell(c)) {
        exactKeys(plainObject(c, `${where} value ${k}`), ['pos', 'neg', 'brierSum', 'n'], `${where} value ${k}`);
        withheld.push(v);
      } else {
        parsed.push([v, countsFromJSON(c, bins, `${where} value ${k}`)]);
      }
    });
    // Noised counts are noised one by one, so they need not add up; the site checked them exact.
    if (!noised) checkPartition(overall, parsed.map(([, c]) => c), where, withheld.length > 0);
    byGroup.push([column, Object.fromEntries(parsed.sort(([a], [b]) => compareKeys(a, b)))]);
    if (withheld.length > 0) suppressed.push([column, withheld.sort(compareKeys)]);
  }
  return {
    bins,
    overall,
    byGroup: Object.fromEntries(byGroup),
    ...(suppressed.length > 0 ? { suppressed: Object.fromEntries(suppressed) } : {}),
    ...(noised ? { noiseSigma: noiseSigma as number } : {}),
  };
}

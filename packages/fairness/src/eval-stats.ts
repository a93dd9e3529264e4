import { CohortError } from '@cohortfl/wire';
import {
  GROUP_LIMITS,
  checkArrayLike,
  checkBinary,
  checkColumnName,
  checkGroupValues,
  checkProbabilities,
  checkSameLength,
} from './check-inputs.js';

/** Default number of equal-width score bins on [0, 1]. */
export const SCORE_BINS = 1000;

/** Sufficient statistics of one population (a site, a subgroup, or their pool). */
export interface EvalCounts {
  /** pos[i]: positives (label 1) whose score falls in bin i = [i/bins, (i+1)/bins), the last bin closed. */
  pos: Uint32Array;
  /** neg[i]: negatives (label 0) in bin i. */
  neg: Uint32Array;
  /**
   * Σ (score − label)²: from the exact scores when a site computes its statistics, from
   * the bin centres once released (a site never sends the exact sum, see binned-brier.ts).
   */
  brierSum: number;
  n: number;
}

/** What a site sends: overall counts plus the same counts per value of each group column. */
export interface EvalStats {
  bins: number;
  overall: EvalCounts;
  /**
   * byGroup[column][value]; for every column the values partition `overall` exactly,
   * unless values were suppressed (they are then missing) or the counts are noised.
   */
  byGroup: Record<string, Record<string, EvalCounts>>;
  /** Values a site withheld under its small-cell rule, per column (sorted). */
  suppressed?: Record<string, string[]>;
  /** σ of the discrete Gaussian noise the site added to every count, when it added any. */
  noiseSigma?: number;
}

export interface ScoreHistogramInput {
  labels: ArrayLike<number>;
  scores: ArrayLike<number>;
  /** Column name → one group value per example, e.g. { sex: ['F', 'M', ...] }. */
  groups?: Readonly<Record<string, ArrayLike<string>>>;
  /** Defaults to SCORE_BINS; a multiple of 10 (for the calibration bins) in [10, 100000]. */
  bins?: number;
}

export function checkBins(bins: unknown, code: 'CONFIG_INVALID' | 'DATA_INVALID' = 'CONFIG_INVALID'): number {
  if (typeof bins !== 'number' || !Number.isInteger(bins) || bins < 10 || bins > 100_000 || bins % 10 !== 0) {
    throw new CohortError(code, 'bins must be a multiple of 10 between 10 and 100000');
  }
  return bins;
}

export function emptyCounts(bins: number): EvalCounts {
  return { pos: new Uint32Array(bins), neg: new Uint32Array(bins), brierSum: 0, n: 0 };
}

/**
 * Bin of a score in [0, 1]: the i with i/bins ≤ score < (i+1)/bins, computing each edge as
 * the double nearest k/bins. Correcting floor(score·bins) against those edges makes
 * "bin ≥ k" agree exactly with "score ≥ k/bins", so thresholds on the grid are exact.
 */
export function binOfScore(score: number, bins: number): number {
  let i = Math.floor(score * bins);
  if (i >= bins) return bins - 1;
  if (i / bins > score) i -= 1;
  else if (i + 1 < bins && (i + 1) / bins <= score) i += 1;
  return i;
}

function addExample(counts: EvalCounts, label: number, bin: number, squaredError: number): void {
  const target = label === 1 ? counts.pos : counts.neg;
  target[bin] = (target[bin] ?? 0) + 1;
  counts.brierSum += squaredError;
  counts.n += 1;
}

/** Sufficient statistics of one site's predictions; only these counts leave the hospital. */
export function scoreHistogram(input: ScoreHistogramInput): EvalStats {
  const bins = checkBins(input.bins ?? SCORE_BINS);
  const { labels, scores } = input;
  const n = checkArrayLike('labels', labels);
  checkSameLength('scores', scores, n, 'labels');
  checkBinary('labels', labels);
  checkProbabilities('scores', scores);

  const columns = Object.entries(input.groups ?? {});
  if (columns.length > GROUP_LIMITS.MAX_COLUMNS) {
    throw new CohortError('CONFIG_INVALID', `at most ${GROUP_LIMITS.MAX_COLUMNS} group columns are allowed`);
  }
  const perColumn = columns.map(([column, values]) => {
    checkColumnName(column);
    checkSameLength(`groups.${column}`, values, n, 'labels');
    checkGroupValues(`groups.${column}`, values);
    return { column, values, byValue: new Map<string, EvalCounts>() };
  });

  const overall = emptyCounts(bins);
  for (let i = 0; i < n; i++) {
    const label = labels[i] as number;
    const score = scores[i] as number;
    const bin = binOfScore(score, bins);
    const squaredError = (score - label) ** 2;
    addExample(overall, label, bin, squaredError);
    for (const c of perColumn) {
      const value = c.values[i] as string;
      let counts = c.byValue.get(value);
      if (counts === undefined) {
        if (c.byValue.size >= GROUP_LIMITS.MAX_VALUES_PER_COLUMN) {
          throw new CohortError('DATA_INVALID', `groups.${c.column} has more than ${GROUP_LIMITS.MAX_VALUES_PER_COLUMN} distinct values`);
        }
        counts = emptyCounts(bins);
        c.byValue.set(value, counts);
      }
      addExample(counts, label, bin, squaredError);
    }
  }

  // Object.fromEntries defines own properties, so a value such as "__proto__" stays data.
  const byGroup = Object.fromEntries(
    perColumn.map((c) => [c.column, Object.fromEntries([...c.byValue].sort(([a], [b]) => compareKeys(a, b)))]),
  );
  return { bins, overall, byGroup };
}

export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

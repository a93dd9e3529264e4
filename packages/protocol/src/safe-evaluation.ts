/**
 * What a site releases from an evaluation, decided by the hospital's policy alone:
 *
 * - Small cells. A label cell (the positives or the negatives of a subgroup value)
 *   holding 1 to `minCellSize` − 1 records is small; an empty cell is not, as in the
 *   common rules. A subgroup value with a small cell is suppressed whole (one label's
 *   count would follow from the other's and the value's size). Per column, the
 *   suppressed values together must hold no small cell either, else the overall counts
 *   minus the released values would give them away: further values are suppressed,
 *   smallest first, until that holds. The site's whole release is suppressed (the site
 *   refuses the evaluation) when its whole validation split has a small label cell.
 * - No exact sums. `brierSum` is computed from the bin centres of the released counts,
 *   never from the exact scores, so it says nothing the histograms do not.
 * - Optional noise. With `noise`, every count of every released histogram gets an
 *   independent discrete Gaussian draw N_Z(0, σ²) (exact sampler, cryptographic
 *   randomness) and is clamped at 0 (which biases sparse histograms upward: σ is the
 *   hospital's trade-off); the small-cell rule is decided on the noised counts, without
 *   complementary suppression (noised counts do not difference to a withheld value).
 *   One record changes one count of the overall histogram and one count per group
 *   column, so the L2 sensitivity is √(1 + columns) and the release is charged as a
 *   Gaussian mechanism with noise multiplier σ/√(1 + columns) (the discrete Gaussian
 *   has the same Rényi DP bound as the continuous one: Canonne, Kamath and Steinke 2020).
 */
import { binnedBrierSum, emptyCounts, fromJSON, toJSON, type EvalCounts, type EvalStats } from '@cohortfl/fairness';
import { sampleDiscreteGaussian, type Mechanism, type RandomSource } from '@cohortfl/privacy';
import { CohortError, type EvalStatsWire } from '@cohortfl/wire';

export interface EvaluationNoise {
  sigma: number;
}

export interface ReleaseOptions {
  minCellSize: number;
  noise?: EvaluationNoise;
  /** Randomness for the noise; the privacy package's cryptographic source by default. */
  random?: RandomSource;
}

export type Release =
  | { released: true; stats: EvalStatsWire; suppressed: Record<string, string[]> }
  | { released: false; reason: string };

const UINT32_MAX = 0xffff_ffff;

/** Checks the policy's noise setting: σ finite and ≥ 1 count. */
export function checkEvaluationNoise(noise: EvaluationNoise): EvaluationNoise {
  if (typeof noise !== 'object' || noise === null || typeof noise.sigma !== 'number' || !Number.isFinite(noise.sigma) || noise.sigma < 1 || noise.sigma > 1e6) {
    throw new CohortError('CONFIG_INVALID', 'policy evaluationNoise.sigma must be a number of counts between 1 and 1000000');
  }
  return noise;
}

/** The ledger entry of one noised evaluation with `columns` group columns. */
export function evaluationMechanism(noise: EvaluationNoise, columns: number): Mechanism {
  return { kind: 'gaussian', noiseMultiplier: checkEvaluationNoise(noise).sigma / Math.sqrt(1 + columns), samplingRate: 1, steps: 1 };
}

function labelTotals(c: EvalCounts): { pos: number; neg: number } {
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < c.pos.length; i++) {
    pos += c.pos[i]!;
    neg += c.neg[i]!;
  }
  return { pos, neg };
}

function noised(counts: EvalCounts, sigma: number, random: RandomSource | undefined): EvalCounts {
  const out = emptyCounts(counts.pos.length);
  for (const [from, to] of [[counts.pos, out.pos], [counts.neg, out.neg]] as const) {
    const draws = sampleDiscreteGaussian(sigma * sigma, from.length, random);
    for (let i = 0; i < from.length; i++) to[i] = Math.min(UINT32_MAX, Math.max(0, from[i]! + draws[i]!));
  }
  return out;
}

/** Counts with n and brierSum recomputed from the (released) histograms. */
function finished(c: EvalCounts): EvalCounts {
  const { pos, neg } = labelTotals(c);
  return { pos: c.pos, neg: c.neg, n: pos + neg, brierSum: binnedBrierSum(c.pos, c.neg) };
}

/** The values of one column to withhold: small cells first, then enough to hide them in the rest. */
export function suppressedValues(
  overall: { pos: number; neg: number },
  values: Record<string, { pos: number; neg: number }>,
  minCellSize: number,
  complementary = true,
): string[] {
  // An empty cell is not a small one (as in the common rules): a label cell of 1 to minCellSize − 1 is.
  const smallCell = (count: number) => count > 0 && count < minCellSize;
  const small = (t: { pos: number; neg: number }) => smallCell(t.pos) || smallCell(t.neg);
  const withheld = new Set(Object.keys(values).filter((v) => small(values[v]!)));
  const released = () => Object.keys(values).filter((v) => !withheld.has(v));
  const residual = () => {
    let pos = overall.pos;
    let neg = overall.neg;
    for (const v of released()) {
      pos -= values[v]!.pos;
      neg -= values[v]!.neg;
    }
    return { pos, neg };
  };
  // The overall counts minus the released values are the withheld values' pooled counts:
  // they too must be empty or a cell of at least minCellSize per label.
  while (complementary) {
    const r = residual();
    if (!small(r)) break;
    const next = released().sort((a, b) => values[a]!.pos + values[a]!.neg - (values[b]!.pos + values[b]!.neg) || (a < b ? -1 : 1))[0];
    if (next === undefined) break;
    withheld.add(next);
  }
  return [...withheld].sort();
}

/**
 * The statistics a site may send for its raw ones (a site's own scoreHistogram, never
 * received data), or why it sends none.
 */
export function releaseEvaluation(raw: EvalStatsWire, options: ReleaseOptions): Release {
  const m = options.minCellSize;
  if (!Number.isInteger(m) || m < 1) throw new CohortError('CONFIG_INVALID', `minCellSize must be an integer ≥ 1, got ${String(m)}`);
  const exact = fromJSON(raw);
  if (exact.suppressed || exact.noiseSigma !== undefined) throw new CohortError('INTERNAL', 'releaseEvaluation takes a site\'s raw statistics');
  const noise = options.noise ? checkEvaluationNoise(options.noise) : undefined;
  const cells = (c: EvalCounts) => (noise ? noised(c, noise.sigma, options.random) : c);
  const overall = finished(cells(exact.overall));
  const totals = labelTotals(overall);
  if ((totals.pos > 0 && totals.pos < m) || (totals.neg > 0 && totals.neg < m)) {
    return { released: false, reason: `the validation split has between 1 and ${m - 1} records of a label (below this site's minCellSize of ${m}); its evaluation statistics are suppressed` };
  }
  const byGroup: EvalStats['byGroup'] = {};
  const suppressed: Record<string, string[]> = {};
  for (const [column, values] of Object.entries(exact.byGroup)) {
    const counts = Object.fromEntries(Object.entries(values).map(([v, c]) => [v, cells(c)]));
    // Noised counts do not difference to a withheld value exactly: complementary suppression only for exact counts.
    const withheld = suppressedValues(totals, Object.fromEntries(Object.entries(counts).map(([v, c]) => [v, labelTotals(c)])), m, !noise);
    byGroup[column] = Object.fromEntries(Object.entries(counts).filter(([v]) => !withheld.includes(v)).map(([v, c]) => [v, finished(c)]));
    if (withheld.length > 0) suppressed[column] = withheld;
  }
  const stats: EvalStats = {
    bins: exact.bins,
    overall,
    byGroup,
    ...(Object.keys(suppressed).length > 0 ? { suppressed } : {}),
    ...(noise ? { noiseSigma: noise.sigma } : {}),
  };
  return { released: true, stats: toJSON(stats), suppressed };
}

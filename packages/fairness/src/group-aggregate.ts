import { CohortError } from '@cohortfl/wire';

/**
 * Aggregation across groups as Fairlearn's MetricFrame does it (pandas underneath):
 * min and max skip NaN and are NaN only when every group is NaN.
 */
export type DisparityMethod = 'between_groups' | 'to_overall';

export function checkMethod(method: unknown): DisparityMethod {
  if (method !== 'between_groups' && method !== 'to_overall') {
    throw new CohortError('CONFIG_INVALID', "method must be 'between_groups' or 'to_overall'");
  }
  return method;
}

export function nanMin(values: readonly number[]): number {
  let out = Number.NaN;
  for (const v of values) if (!Number.isNaN(v) && !(v >= out)) out = v;
  return out;
}

export function nanMax(values: readonly number[]): number {
  let out = Number.NaN;
  for (const v of values) if (!Number.isNaN(v) && !(v <= out)) out = v;
  return out;
}

/** MetricFrame.difference: max − min, or max over groups of |group − overall|. */
export function groupDifference(values: readonly number[], overall: number, method: DisparityMethod): number {
  if (method === 'between_groups') return nanMax(values) - nanMin(values);
  return nanMax(values.map((v) => Math.abs(v - overall)));
}

/**
 * MetricFrame.ratio: min / max (0/0 gives NaN), or the minimum over groups of
 * group/overall folded below 1 (x > 1 → 1/x; a zero overall gives 0 for a non-zero group
 * and NaN, skipped, for a zero group).
 */
export function groupRatio(values: readonly number[], overall: number, method: DisparityMethod): number {
  if (method === 'between_groups') return nanMin(values) / nanMax(values);
  return nanMin(
    values.map((v) => {
      const x = v / overall;
      return x > 1 ? 1 / x : x;
    }),
  );
}

/**
 * Python's built-in max([a, b]) / min([a, b]), which Fairlearn applies to the
 * [TPR, FPR] pair in equalized odds: keeps `a` unless `b` compares strictly greater
 * (smaller), so a NaN in the first place wins and a NaN in the second is ignored.
 */
export function builtinMax(a: number, b: number): number {
  return b > a ? b : a;
}

export function builtinMin(a: number, b: number): number {
  return b < a ? b : a;
}

/** pandas Series.mean(): NaN entries skipped. */
export function nanMean(values: readonly number[]): number {
  const kept = values.filter((v) => !Number.isNaN(v));
  return kept.length === 0 ? Number.NaN : kept.reduce((s, v) => s + v, 0) / kept.length;
}

interface Weighted {
  numExamples: number;
  metrics?: Record<string, number> | undefined;
}

/** Σ n_i Δ_i / Σ n_i, accumulated in float64 so many sites do not lose precision. */
export function weightedMeanUpdate(results: readonly { update: Float32Array; numExamples: number }[], length: number): Float64Array {
  const sum = new Float64Array(length);
  let total = 0;
  for (const { update, numExamples } of results) {
    total += numExamples;
    for (let i = 0; i < length; i++) sum[i] = (sum[i] as number) + numExamples * (update[i] as number);
  }
  for (let i = 0; i < length; i++) sum[i] = (sum[i] as number) / total;
  return sum;
}

/**
 * Example-weighted mean of every metric name present. A metric a site omits or
 * reports as NaN/±Infinity is skipped for that site only, so the mean is over the
 * sites that did report it. Sites with a non-positive or non-finite weight count nowhere.
 */
export function weightedMetrics(items: readonly Weighted[]): Record<string, number> {
  const sums = new Map<string, { value: number; weight: number }>();
  for (const { numExamples, metrics } of items) {
    if (!(Number.isFinite(numExamples) && numExamples > 0) || metrics === undefined) continue;
    for (const [name, value] of Object.entries(metrics)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      const acc = sums.get(name) ?? { value: 0, weight: 0 };
      acc.value += numExamples * value;
      acc.weight += numExamples;
      sums.set(name, acc);
    }
  }
  const out: Record<string, number> = {};
  for (const [name, { value, weight }] of sums) out[name] = value / weight;
  return out;
}

/** Total examples over items with a valid (positive, finite) weight. */
export function totalExamples(items: readonly Weighted[]): number {
  let n = 0;
  for (const { numExamples } of items) if (Number.isFinite(numExamples) && numExamples > 0) n += numExamples;
  return n;
}

/** w + step as a fresh Float32Array; the input weights are never written. */
export function addStep(global: Float32Array, step: Float64Array): Float32Array {
  const out = new Float32Array(global.length);
  for (let i = 0; i < global.length; i++) out[i] = (global[i] as number) + (step[i] as number);
  return out;
}

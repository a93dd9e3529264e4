import type { EvalCounts } from './eval-stats.js';

/** Equal-width calibration bins used for the expected calibration error. */
export const ECE_BINS = 10;

/**
 * Expected calibration error over ECE_BINS equal-width bins on [0, 1]:
 * Σ_j (n_j / n) · |mean score_j − positive fraction_j|, skipping empty bins.
 * Computed from the histogram, so a score is represented by its bin centre (i + ½)/bins;
 * this moves each mean score by at most ½/bins (0.0005 with 1000 bins).
 * Histogram bin i belongs to calibration bin floor(i · ECE_BINS / bins), which is exact
 * because bins is a multiple of ECE_BINS. NaN when n = 0.
 */
export function expectedCalibrationError(counts: EvalCounts): number {
  const bins = counts.pos.length;
  const perBin = bins / ECE_BINS;
  let total = 0;
  let weighted = 0;
  for (let j = 0; j < ECE_BINS; j++) {
    let count = 0;
    let positives = 0;
    let scoreSum = 0;
    for (let i = j * perBin; i < (j + 1) * perBin; i++) {
      const c = (counts.pos[i] ?? 0) + (counts.neg[i] ?? 0);
      count += c;
      positives += counts.pos[i] ?? 0;
      scoreSum += c * ((i + 0.5) / bins);
    }
    if (count === 0) continue;
    total += count;
    weighted += count * Math.abs(scoreSum / count - positives / count);
  }
  return total === 0 ? Number.NaN : weighted / total;
}

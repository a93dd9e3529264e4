/** Area under the ROC curve, exactly, from ranks (no threshold grid). */
import { CohortError } from '@cohortfl/wire';

/**
 * ROC AUC as the Mann–Whitney U statistic: the probability that a random
 * positive scores above a random negative, ties counting one half (tied scores
 * share their average rank). Labels must be 0 or 1 and scores finite.
 * Returns NaN when either class is absent, because AUC is then undefined.
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = labels.length;
  if (scores.length !== n) {
    throw new CohortError('SHAPE_MISMATCH', `rocAuc needs one score per label, got ${scores.length} scores for ${n} labels`);
  }
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (label !== 0 && label !== 1) throw new CohortError('DATA_INVALID', `label ${i} is ${label}, expected 0 or 1`);
    if (!Number.isFinite(scores[i])) throw new CohortError('DATA_INVALID', `score ${i} is ${scores[i]}, expected a finite number`);
    positives += label;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;

  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let positiveRankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1] as number] === scores[order[i] as number]) j++;
    const averageRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let t = i; t <= j; t++) if (labels[order[t] as number] === 1) positiveRankSum += averageRank;
    i = j + 1;
  }
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

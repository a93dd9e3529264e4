import { checkArrayLike, checkBinary, checkFinite, checkNonEmpty, checkSameLength } from './check-inputs.js';

/**
 * Exact ROC AUC (Mann–Whitney): P(score⁺ > score⁻) + ½·P(score⁺ = score⁻), with tied
 * scores given their average rank. Scores may be any finite numbers (probabilities or logits).
 * NaN when yTrue holds a single class, as scikit-learn ≥ 1.6 returns (older versions raised).
 */
export function rocAuc(yTrue: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = checkArrayLike('yTrue', yTrue);
  checkSameLength('scores', scores, n, 'yTrue');
  checkNonEmpty('yTrue', yTrue);
  checkBinary('yTrue', yTrue);
  checkFinite('scores', scores);

  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let positives = 0;
  let positiveRankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    const s = scores[order[start] as number];
    while (end + 1 < n && scores[order[end + 1] as number] === s) end += 1;
    const averageRank = (start + end) / 2 + 1; // ranks are 1-based
    for (let k = start; k <= end; k++) {
      if (yTrue[order[k] as number] === 1) {
        positives += 1;
        positiveRankSum += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

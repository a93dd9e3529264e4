import { checkArrayLike, checkBinary, checkNonEmpty, checkSameLength } from './check-inputs.js';

/**
 * Base rates with Fairlearn's semantics. Fairlearn computes TPR and FPR through scikit-learn's
 * confusion_matrix(normalize='true'), which turns 0/0 into 0: a group with no positives has
 * TPR 0 and a group with no negatives has FPR 0 (not NaN). We do the same so that results
 * match Fairlearn number for number. Labels and predictions must be 0 or 1.
 */

/** Fraction of predictions equal to 1. Empty input is refused (Fairlearn raises). */
export function selectionRate(yPred: ArrayLike<number>): number {
  checkArrayLike('yPred', yPred);
  checkNonEmpty('yPred', yPred);
  checkBinary('yPred', yPred);
  let selected = 0;
  for (let i = 0; i < yPred.length; i++) selected += yPred[i] as number;
  return selected / yPred.length;
}

function checkPair(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void {
  const n = checkArrayLike('yTrue', yTrue);
  checkSameLength('yPred', yPred, n, 'yTrue');
  checkBinary('yTrue', yTrue);
  checkBinary('yPred', yPred);
}

function conditionalRate(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, label: 0 | 1): number {
  checkPair(yTrue, yPred);
  let total = 0;
  let predictedPositive = 0;
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] !== label) continue;
    total += 1;
    predictedPositive += yPred[i] as number;
  }
  return total === 0 ? 0 : predictedPositive / total;
}

/** P(ŷ = 1 | y = 1); 0 when there are no positives (Fairlearn). */
export function truePositiveRate(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return conditionalRate(yTrue, yPred, 1);
}

/** P(ŷ = 1 | y = 0); 0 when there are no negatives (Fairlearn). */
export function falsePositiveRate(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return conditionalRate(yTrue, yPred, 0);
}

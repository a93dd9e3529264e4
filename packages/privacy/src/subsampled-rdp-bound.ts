import { logAdd, logBinomial } from './special-functions.js';

/**
 * Upper bound on the RDP at integer order α ≥ 2 of a mechanism run on a Poisson
 * subsample (rate q ∈ (0, 1)), given the mechanism's own RDP function ε(·) at the
 * integers 2…α: the general bound of Zhu and Wang, "Poisson Subsampled Rényi
 * Differential Privacy" (ICML 2019), as used by Kairouz, Liu and Steinke's
 * distributed-DP accounting (google-research/federated, distributed_dp):
 *   (1/(α−1))·log[ (1−q)^{α−1}(αq − q + 1) + C(α,2) q² (1−q)^{α−2} e^{ε(2)}
 *                  + 3 Σ_{l=3}^{α} C(α,l) (1−q)^{α−l} q^l e^{(l−1)ε(l)} ].
 */
export function poissonSubsampledRdpBound(alpha: number, q: number, epsilonAt: (order: number) => number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  let total = (alpha - 1) * log1mQ + Math.log(alpha * q - q + 1);
  total = logAdd(total, logBinomial(alpha, 2) + 2 * logQ + (alpha - 2) * log1mQ + epsilonAt(2));
  for (let l = 3; l <= alpha; l++) {
    total = logAdd(total, Math.log(3) + logBinomial(alpha, l) + (alpha - l) * log1mQ + l * logQ + (l - 1) * epsilonAt(l));
  }
  return total / (alpha - 1);
}

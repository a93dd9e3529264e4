import { configError, requireDelta, requireOrders, requireRdp } from './validate.js';

export interface EpsilonAtOrder {
  epsilon: number;
  /** The RDP order that gives the smallest ε. */
  order: number;
}

/**
 * (ε, δ)-DP from an RDP curve, the conversion dp_accounting's compute_epsilon uses
 * today: Balle, Barthe, Gaboardi, Hsu and Sato, "Hypothesis Testing
 * Interpretations and Rényi Differential Privacy" (AISTATS 2020), Theorem 21
 * (also Canonne–Kamath–Steinke 2020, Proposition 12; Asoodeh et al. 2020, eq. 20):
 *   ε(α) = RDP(α) + log1p(−1/α) − (log δ + log α)/(α − 1),
 * minimised over the orders. As there: orders α ≤ 1.01 (numerically unstable) give
 * ∞; if δ² + expm1(−RDP(α)) > 0 the KL-divergence bound δ ≤ √(1 − e^{−RDP}) already
 * gives ε = 0; the result is clamped at 0. At every order α > 1.01 it is smaller
 * than the classic conversion below by log(α)/(α − 1) − log1p(−1/α) > 0.
 */
export function rdpToEpsilon(orders: readonly number[], rdp: readonly number[], delta: number): EpsilonAtOrder {
  const checkedOrders = requireOrders(orders);
  const values = requireRdp(rdp, checkedOrders);
  const d = requireDelta(delta);
  let best = Number.POSITIVE_INFINITY;
  let bestOrder = checkedOrders[0]!;
  for (let k = 0; k < checkedOrders.length; k++) {
    const a = checkedOrders[k]!;
    const r = values[k]!;
    let eps: number;
    if (d * d + Math.expm1(-r) > 0) eps = 0;
    else if (a > 1.01) eps = r + Math.log1p(-1 / a) - Math.log(d * a) / (a - 1);
    else eps = Number.POSITIVE_INFINITY;
    if (eps < best) {
      best = eps;
      bestOrder = a;
    }
  }
  return { epsilon: Math.max(0, best), order: bestOrder };
}

/**
 * The classic conversion ε = min_α RDP(α) − log δ/(α − 1) (Mironov, "Rényi
 * Differential Privacy", CSF 2017, Proposition 3), which TensorFlow Privacy's
 * get_privacy_spent used before it moved to the one above. Kept to reproduce
 * published values computed with it; never used by the ledger (it is looser).
 */
export function rdpToEpsilonMironov2017(orders: readonly number[], rdp: readonly number[], delta: number): EpsilonAtOrder {
  const checkedOrders = requireOrders(orders);
  const values = requireRdp(rdp, checkedOrders);
  const d = requireDelta(delta);
  let best = Number.POSITIVE_INFINITY;
  let bestOrder = checkedOrders[0]!;
  for (let k = 0; k < checkedOrders.length; k++) {
    const a = checkedOrders[k]!;
    const eps = values[k]! - Math.log(d) / (a - 1);
    if (eps < best) {
      best = eps;
      bestOrder = a;
    }
  }
  return { epsilon: best, order: bestOrder };
}

/** RDP composes by addition, order by order (Mironov 2017, Proposition 1). */
export function composeRdp(...curves: ReadonlyArray<readonly number[]>): number[] {
  if (curves.length === 0) throw configError('composeRdp needs at least one RDP curve');
  const length = curves[0]!.length;
  const total = new Array<number>(length).fill(0);
  for (const curve of curves) {
    if (!Array.isArray(curve) || curve.length !== length) throw configError('composeRdp needs curves over the same orders');
    for (let k = 0; k < length; k++) {
      const r = curve[k];
      if (typeof r !== 'number' || Number.isNaN(r) || r < 0) throw configError(`RDP values must be ≥ 0 or +Infinity, got ${String(r)}`);
      total[k]! += r;
    }
  }
  return total;
}

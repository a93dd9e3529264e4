import { buildStrategy } from './build-strategy.js';
import { resolveOptions } from './options.js';
import { requireNumber } from './params.js';
import type { Strategy, StrategyOptions, TrainResultIn } from './types.js';

export interface QFedAvgOptions extends StrategyOptions {
  /** q ≥ 0: 0 is (unweighted) FedAvg; larger q gives sites with higher loss more weight. */
  q: number;
  /** L, the Lipschitz constant of the loss gradient; the paper uses 1 / local learning rate. Default 1. */
  lipschitz?: number;
}

/** Config keys the site reads to send q-FFL's scaled update and h term. */
export const QFFL_CONFIG = { Q: 'qffl', L: 'qfflL' } as const;

/**
 * q-FedAvg (q-FFL; Li, Sanjabi, Beirami, Smith, ICLR 2020). Each site k measures its
 * loss F_k at the global weights, trains, and sends u_k = F_k^q · L(w − w̄_k) and
 * h_k = q F_k^(q−1) ‖L(w − w̄_k)‖² + L F_k^q (as `metrics.h`, or, under secure
 * aggregation, in the sum's loss slot: the mean of h). The server step is
 * w ← w − Σu_k / Σh_k, which the means of u and h give as well (sites count once each).
 */
export function createQFedAvg(options: QFedAvgOptions): Strategy {
  const q = requireNumber('qfedavg', 'q', options?.q, { min: 0 });
  const lipschitz = requireNumber('qfedavg', 'lipschitz', options?.lipschitz ?? 1, { min: Number.MIN_VALUE });
  return buildStrategy(
    {
      name: 'qfedavg',
      requiresIndividualUpdates: false,
      trainConfig: { [QFFL_CONFIG.Q]: q, [QFFL_CONFIG.L]: lipschitz },
      serverStep: (accepted: readonly TrainResultIn[], length: number) => {
        const step = new Float64Array(length);
        let h = 0;
        for (const r of accepted) {
          const hk = r.metrics?.h ?? r.metrics?.loss ?? Number.NaN;
          h += hk;
          for (let i = 0; i < length; i++) step[i] = step[i]! - r.update[i]!;
        }
        if (!(h > 0 && Number.isFinite(h))) return new Float64Array(length);
        for (let i = 0; i < length; i++) step[i] = step[i]! / h;
        return step;
      },
    },
    resolveOptions('qfedavg', options),
  );
}

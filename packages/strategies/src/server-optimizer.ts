import { CohortError } from '@cohortfl/wire';
import type { StrategyCore } from './build-strategy.js';
import { decodeFloat64, encodeFloat64 } from './float-codec.js';
import { optionalNumber } from './params.js';
import type { StrategyOptions } from './types.js';
import { weightedMeanUpdate } from './weighted.js';

/** Options of the adaptive server optimizers (Reddi et al. 2021). */
export interface ServerOptimizerOptions extends StrategyOptions {
  /** η, the server learning rate (> 0, default 1e-2). */
  serverLearningRate?: number;
  /** β1, first-moment decay in [0, 1) (default 0.9). */
  beta1?: number;
  /** β2, second-moment decay in [0, 1) (default 0.99); unused by FedAdagrad. */
  beta2?: number;
  /** τ, adaptivity / numerical floor (> 0, default 1e-3). */
  tau?: number;
}

export interface ServerOptimizerParams {
  serverLearningRate: number;
  beta1: number;
  beta2: number;
  tau: number;
}

export function resolveServerOptimizerParams(name: string, options: ServerOptimizerOptions): ServerOptimizerParams {
  const decay = { min: 0, max: 1, maxExclusive: true };
  return {
    serverLearningRate: optionalNumber(name, 'serverLearningRate', options.serverLearningRate, 1e-2, {
      min: 0,
      minExclusive: true,
    }),
    beta1: optionalNumber(name, 'beta1', options.beta1, 0.9, decay),
    beta2: optionalNumber(name, 'beta2', options.beta2, 0.99, decay),
    tau: optionalNumber(name, 'tau', options.tau, 1e-3, { min: 0, minExclusive: true }),
  };
}

/** v_t from v_{t−1} and Δ_t² for one coordinate. */
export type SecondMomentRule = (previous: number, squared: number) => number;

const STATE_VERSION = 1;

/**
 * Algorithm 2 of Reddi et al. 2021, "Adaptive Federated Optimization":
 *   Δ_t = Σ n_i Δ_i / Σ n_i (the pseudo-gradient)
 *   m_t = β1 m_{t−1} + (1 − β1) Δ_t
 *   v_t = rule(v_{t−1}, Δ_t²)
 *   w_{t+1} = w_t + η m_t / (√v_t + τ)
 * As in the paper, m_0 = 0 and v_0 = τ² (so the first step is bounded even where
 * Δ is tiny), and there is no bias correction. Moments are kept in float64.
 */
export function createServerOptimizerCore(
  name: string,
  params: ServerOptimizerParams,
  secondMoment: SecondMomentRule,
): StrategyCore {
  const { serverLearningRate: eta, beta1, tau } = params;
  let m: Float64Array | undefined;
  let v: Float64Array | undefined;
  let steps = 0;

  return {
    name,
    requiresIndividualUpdates: false,
    trainConfig: {},

    serverStep(accepted, length) {
      if (m !== undefined && m.length !== length) {
        throw new CohortError(
          'SHAPE_MISMATCH',
          `${name}: optimizer state has ${m.length} values but the global model has ${length}`,
        );
      }
      const delta = weightedMeanUpdate(accepted, length);
      const nextM = m === undefined ? new Float64Array(length) : Float64Array.from(m);
      const nextV = v === undefined ? new Float64Array(length).fill(tau * tau) : Float64Array.from(v);
      const step = new Float64Array(length);
      for (let i = 0; i < length; i++) {
        const d = delta[i] as number;
        const mi = beta1 * (nextM[i] as number) + (1 - beta1) * d;
        const vi = secondMoment(nextV[i] as number, d * d);
        nextM[i] = mi;
        nextV[i] = vi;
        step[i] = (eta * mi) / (Math.sqrt(vi) + tau);
      }
      // Commit only once the whole step is computed, so a throw leaves state intact.
      m = nextM;
      v = nextV;
      steps += 1;
      return step;
    },

    saveState() {
      return {
        version: STATE_VERSION,
        steps,
        m: m === undefined ? null : encodeFloat64(m),
        v: v === undefined ? null : encodeFloat64(v),
      };
    },

    loadState(state) {
      const { version, steps: savedSteps, m: savedM, v: savedV } = state;
      if (version !== STATE_VERSION) {
        throw new CohortError('DATA_INVALID', `${name}: unsupported state version ${String(version)}`);
      }
      if (typeof savedSteps !== 'number' || !Number.isSafeInteger(savedSteps) || savedSteps < 0) {
        throw new CohortError('DATA_INVALID', `${name}: state 'steps' must be a non-negative integer`);
      }
      if (savedM === null && savedV === null) {
        m = undefined;
        v = undefined;
      } else if (typeof savedM === 'string' && typeof savedV === 'string') {
        const nextM = decodeFloat64(savedM, `${name} state 'm'`);
        const nextV = decodeFloat64(savedV, `${name} state 'v'`);
        if (nextM.length !== nextV.length) {
          throw new CohortError('DATA_INVALID', `${name}: state moments differ in length`);
        }
        if (!nextM.every(Number.isFinite) || !nextV.every((x) => Number.isFinite(x) && x >= 0)) {
          throw new CohortError('DATA_INVALID', `${name}: state moments must be finite, and 'v' non-negative`);
        }
        m = nextM;
        v = nextV;
      } else {
        throw new CohortError('DATA_INVALID', `${name}: state moments 'm' and 'v' must both be base64 strings or both null`);
      }
      steps = savedSteps;
    },
  };
}

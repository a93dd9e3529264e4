import { CohortError } from '@cohortfl/wire';
import type { ResolvedOptions } from './options.js';
import { sampleCohort } from './sampling.js';
import { screenResults } from './screen-results.js';
import type { AggregateOutcome, RoundConfig, Strategy, TrainResultIn } from './types.js';
import { addStep, totalExamples, weightedMetrics } from './weighted.js';

/**
 * What makes one algorithm different from another; everything else (sampling,
 * validation, metrics, state framing) is shared by `buildStrategy`.
 */
export interface StrategyCore {
  name: string;
  requiresIndividualUpdates: boolean;
  /** Sent to every site in the training cohort (e.g. FedProx's proxMu). */
  trainConfig: RoundConfig;
  /** The change to add to the global weights, from at least one validated update. */
  serverStep(accepted: readonly TrainResultIn[], length: number): Float64Array;
  /** Extra JSON-safe server state (e.g. optimizer moments). */
  saveState?(): Record<string, unknown>;
  loadState?(state: Record<string, unknown>): void;
}

export function buildStrategy(core: StrategyCore, options: ResolvedOptions): Strategy {
  const { name } = core;
  return {
    name,
    requiresIndividualUpdates: core.requiresIndividualUpdates,

    configureTrain({ available, random }) {
      return {
        sites: sampleCohort(available, options.fractionFit, options.minSites, random),
        config: { ...core.trainConfig },
      };
    },

    aggregateTrain({ global, results, failures }): AggregateOutcome {
      if (results.length === 0) {
        const why = failures.length > 0 ? ` (${failures.length} site(s) failed)` : '';
        return { ok: false, code: 'NO_RESULTS', message: `${name}: no training results to aggregate${why}`, rejected: [] };
      }
      const { accepted, rejected } = screenResults(global.length, results);
      if (accepted.length === 0) {
        const reasons = [...new Set(rejected.map((r) => r.reason))].join(', ');
        return {
          ok: false,
          code: 'ALL_REJECTED',
          message: `${name}: all ${rejected.length} training result(s) were rejected (${reasons})`,
          rejected,
        };
      }
      const weights = addStep(global, core.serverStep(accepted, global.length));
      const metrics: Record<string, number> = {
        ...weightedMetrics(accepted),
        sites: accepted.length,
        n: totalExamples(accepted),
        failures: failures.length,
        rejected: rejected.length,
      };
      return { ok: true, weights, metrics, rejected };
    },

    configureEvaluate({ available, random }) {
      return { sites: sampleCohort(available, options.fractionEvaluate, 1, random), config: {} };
    },

    aggregateEvaluate({ results, failures }) {
      return { ...weightedMetrics(results), n: totalExamples(results), failures: failures.length };
    },

    state() {
      return { ...core.saveState?.(), name };
    },

    restore(state) {
      if (typeof state !== 'object' || state === null || state.name !== name) {
        const got = typeof state === 'object' && state !== null ? String(state.name) : typeof state;
        throw new CohortError('DATA_INVALID', `${name}: cannot restore state saved by strategy '${got}'`);
      }
      core.loadState?.(state);
    },
  };
}

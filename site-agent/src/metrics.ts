/**
 * The agent's Prometheus metrics, on a registry of its own (never the global
 * one), so several agents in one process (tests) do not share counters.
 * Labels carry phases, outcomes and refusal reasons only, never patient data.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';

export interface SiteMetrics {
  registry: Registry;
  rounds: Counter<'phase' | 'outcome'>;
  roundDuration: Histogram<string>;
  phaseDuration: Histogram<'phase'>;
  connected: Gauge<string>;
  updateBytes: Counter<string>;
  rejected: Counter<'reason'>;
  refusals: Counter<'reason'>;
  /** Errors that escaped every handler to the process guard, by kind (exception, rejection); tests keep it at 0. */
  uncaughtErrors: Counter<'kind'>;
  /** Only when the policy sets a privacy budget. */
  privacy?: { epsilonSpent: Gauge<string>; epsilonBudget: Gauge<string> };
}

/** Seconds; local training runs from under a second to tens of minutes. */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/**
 * The process's own gauges (process_resident_memory_bytes, nodejs_heap_size_used_bytes,
 * process_open_fds, nodejs_active_handles and nodejs_active_resources by type, event-loop
 * lag, GC): prom-client's default metrics, collected once per process (they start an
 * event-loop monitor and a GC observer) and shown by every agent's registry, so a hospital
 * sees whether its agent grows over months of rounds.
 */
let processMetrics: Registry | undefined;
function registerProcessMetrics(registry: Registry): void {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  // getMetricsAsArray gives the metric objects themselves (typed as their JSON form).
  for (const metric of processMetrics.getMetricsAsArray()) registry.registerMetric(metric as unknown as Metric);
}

export function createSiteMetrics(options: { privacy?: boolean } = {}): SiteMetrics {
  const registry = new Registry();
  const registers = [registry];
  registerProcessMetrics(registry);
  const uncaughtErrors = new Counter({
    name: 'cohort_site_uncaught_errors_total',
    help: 'Errors that escaped every handler and reached the process guard, by kind (exception, rejection); should stay 0',
    labelNames: ['kind'] as const,
    registers,
  });
  for (const kind of ['exception', 'rejection']) uncaughtErrors.labels(kind).inc(0);
  return {
    registry,
    uncaughtErrors,
    rounds: new Counter({
      name: 'cohort_site_rounds_total',
      help: 'Round phases answered by this site, by phase and outcome (completed: update or evaluation sent; refused: round/refuse sent)',
      labelNames: ['phase', 'outcome'] as const,
      registers,
    }),
    roundDuration: new Histogram({
      name: 'cohort_site_round_duration_seconds',
      help: 'Seconds from a round attempt\'s train round/start to this site\'s evaluation answer for it',
      buckets: DURATION_BUCKETS,
      registers,
    }),
    phaseDuration: new Histogram({
      name: 'cohort_site_phase_duration_seconds',
      help: 'Seconds from a round/start to this site\'s answer, by phase (includes waiting for model chunks and loading data)',
      labelNames: ['phase'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    connected: new Gauge({
      name: 'cohort_site_connected',
      help: '1 while authenticated to the coordinator, else 0',
      registers,
    }),
    updateBytes: new Counter({
      name: 'cohort_site_update_bytes_total',
      help: 'Bytes of update/submit frames sent',
      registers,
    }),
    rejected: new Counter({
      name: 'cohort_messages_rejected_total',
      help: 'Coordinator messages this site refused, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    refusals: new Counter({
      name: 'cohort_site_refusals_total',
      help: 'Rounds and secure aggregation steps this site answered with a refusal, by reason (policy, unpinned member, unsafe threshold, noise floor, ...)',
      labelNames: ['reason'] as const,
      registers,
    }),
    ...(options.privacy
      ? {
          privacy: {
            epsilonSpent: new Gauge({
              name: 'cohort_site_epsilon_spent',
              help: 'Differential privacy ε this site has spent so far, across all tasks (at the policy\'s δ)',
              registers,
            }),
            epsilonBudget: new Gauge({
              name: 'cohort_site_epsilon_budget',
              help: 'The policy\'s privacy budget: the ε this site will never exceed',
              registers,
            }),
          },
        }
      : {}),
  };
}

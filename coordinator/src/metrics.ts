/**
 * The coordinator's Prometheus metrics, on a registry of its own (two coordinators
 * in one process, as in tests, never share counters). Labels are outcomes, phases
 * and refusal reasons only: never a patient, record or free-text value.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import { REFUSALS, type Refusal } from './refusals.js';

const DURATION_BUCKETS = [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];

export interface Metrics {
  registry: Registry;
  roundsTotal: Counter<'outcome'>;
  roundDuration: Histogram;
  phaseDuration: Histogram<'phase'>;
  connectedSites: Gauge;
  updateBytes: Counter;
  messagesRejected: Counter<'reason'>;
  /** Sessions closed for more than refusals.closeAfter refusals within refusals.windowSeconds. */
  refusalCloses: Counter;
  currentRound: Gauge;
  /** ε each site last reported spending (status epsilonSpent); the label is the enrolled site name. */
  siteEpsilon: Gauge<'site'>;
  /** Each site's validation AUC in the latest completed round; the label is the enrolled site name. */
  siteAuc: Gauge<'site'>;
  /** Subgroup fairness of the pooled evaluation: `column` is a task subgroup column, never a value or a patient. */
  fairnessGap: Gauge<'column' | 'metric'>;
  pooledAuc: Gauge;
  worstSiteAuc: Gauge;
  /** Errors that escaped every handler to the process guard (uncaughtException, unhandledRejection); tests keep it at 0. */
  uncaughtErrors: Counter<'kind'>;
  rejected(reason: Refusal): void;
}

/**
 * The process's own gauges (resident memory, heap, open file descriptors, active handles
 * and resources by type, event-loop lag, GC): prom-client's default metrics, collected once
 * per process (they start an event-loop monitor and a GC observer) and registered in every
 * coordinator's registry, so /metrics shows whether the server grows over a long run.
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

export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  registerProcessMetrics(registry);
  const roundsTotal = new Counter({ name: 'cohort_rounds_total', help: 'Round attempts by outcome', labelNames: ['outcome'], registers });
  const roundDuration = new Histogram({
    name: 'cohort_round_duration_seconds',
    help: 'Wall time of completed rounds, first round/start to saved checkpoint',
    buckets: DURATION_BUCKETS,
    registers,
  });
  const phaseDuration = new Histogram({
    name: 'cohort_phase_duration_seconds',
    help: 'Wall time of train and evaluate phases',
    labelNames: ['phase'],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const connectedSites = new Gauge({ name: 'cohort_connected_sites', help: 'Authenticated site connections', registers });
  const updateBytes = new Counter({ name: 'cohort_update_bytes_total', help: 'Bytes of update frames received (update/submit, or secagg/masked under secure aggregation)', registers });
  const messagesRejected = new Counter({
    name: 'cohort_messages_rejected_total',
    help: 'Messages refused, by reason',
    labelNames: ['reason'],
    registers,
  });
  const refusalCloses = new Counter({
    name: 'cohort_sessions_closed_for_refusals_total',
    help: 'Site sessions closed for too many refusals within the refusal window',
    registers,
  });
  const currentRound = new Gauge({ name: 'cohort_current_round', help: 'Round number of the running run (0 when idle)', registers });
  const siteEpsilon = new Gauge({
    name: 'cohort_site_epsilon_spent',
    help: 'Differential privacy ε each site last reported spending (its own ledger, all tasks)',
    labelNames: ['site'],
    registers,
  });
  const siteAuc = new Gauge({ name: 'cohort_site_auc', help: 'Validation AUC of each site in the latest completed round', labelNames: ['site'], registers });
  const fairnessGap = new Gauge({
    name: 'cohort_fairness_gap',
    help: 'Pooled subgroup fairness of the latest completed round, per subgroup column (aucGap, worstGroupAuc, demographicParityDifference, equalizedOddsDifference, equalOpportunityDifference)',
    labelNames: ['column', 'metric'],
    registers,
  });
  const pooledAuc = new Gauge({ name: 'cohort_pooled_auc', help: 'AUC of all sites\' validation sets pooled (score histograms), latest completed round', registers });
  const worstSiteAuc = new Gauge({ name: 'cohort_worst_site_auc', help: 'Lowest site validation AUC in the latest completed round', registers });
  const uncaughtErrors = new Counter({
    name: 'cohort_uncaught_errors_total',
    help: 'Errors that escaped every handler and reached the process guard, by kind (exception, rejection); should stay 0',
    labelNames: ['kind'],
    registers,
  });
  // Known label values start at zero, so a dashboard sees a flat line rather than no series.
  for (const outcome of ['completed', 'failed']) roundsTotal.labels(outcome).inc(0);
  for (const reason of REFUSALS) messagesRejected.labels(reason).inc(0);
  for (const phase of ['train', 'evaluate']) phaseDuration.zero({ phase });
  for (const kind of ['exception', 'rejection']) uncaughtErrors.labels(kind).inc(0);
  return {
    registry,
    roundsTotal,
    roundDuration,
    phaseDuration,
    connectedSites,
    updateBytes,
    messagesRejected,
    refusalCloses,
    currentRound,
    siteEpsilon,
    siteAuc,
    fairnessGap,
    pooledAuc,
    worstSiteAuc,
    uncaughtErrors,
    rejected: (reason) => messagesRejected.labels(reason).inc(),
  };
}

/**
 * Sets the evaluation gauges from a completed round: each site's AUC, the pooled and
 * worst-site AUC, and per subgroup column the fairness headline numbers that
 * CoordinatorRun merged into the round's evalMetrics (`<column>/<metric>`).
 * Labels are site names, subgroup column names and metric names only.
 */
import type { Metrics } from './metrics.js';
import { perSiteOf } from './reports.js';
import type { Store } from './store/index.js';

export const FAIRNESS_GAUGE_METRICS = [
  'aucGap',
  'worstGroupAuc',
  'demographicParityDifference',
  'equalizedOddsDifference',
  'equalOpportunityDifference',
] as const;

const FAIRNESS_KEY = new RegExp(`^([^/=]+)/(${FAIRNESS_GAUGE_METRICS.join('|')})$`);

export interface RoundEvaluation {
  evalMetrics: Record<string, number>;
  perSite: readonly { site: string; metrics: Record<string, number> }[];
}

export function setEvalGauges(metrics: Metrics, round: RoundEvaluation): void {
  // Only the latest round is shown: series of sites or columns absent from it go away.
  metrics.siteAuc.reset();
  metrics.fairnessGap.reset();
  const aucs: number[] = [];
  for (const { site, metrics: m } of round.perSite) {
    const auc = m['auc'];
    if (auc === undefined || !Number.isFinite(auc)) continue;
    metrics.siteAuc.labels(site).set(auc);
    aucs.push(auc);
  }
  for (const [key, value] of Object.entries(round.evalMetrics)) {
    const match = FAIRNESS_KEY.exec(key);
    // 'pooled/…' and 'sites/…' hold no fairness metric names, so they never match.
    if (match && Number.isFinite(value)) metrics.fairnessGap.labels(match[1]!, match[2]!).set(value);
  }
  const pooled = round.evalMetrics['pooled/auc'];
  metrics.pooledAuc.set(pooled !== undefined && Number.isFinite(pooled) ? pooled : Number.NaN);
  // Without score histograms the engine reports no sites/worstAuc; the per-site AUCs still give it.
  const worst = round.evalMetrics['sites/worstAuc'] ?? (aucs.length > 0 ? Math.min(...aucs) : Number.NaN);
  metrics.worstSiteAuc.set(Number.isFinite(worst) ? worst : Number.NaN);
}

/** At start: the gauges of the most recent run's last stored round, so a restart does not blank them. */
export function restoreEvalGauges(store: Store, metrics: Metrics): void {
  const run = store.activeRun() ?? store.listRuns().at(-1);
  const last = run && store.completedRounds(run.id).at(-1);
  if (run && last) setEvalGauges(metrics, { evalMetrics: last.evalMetrics, perSite: perSiteOf(store, run.id, last.round) });
}

/**
 * What the coordinator makes of a round's evaluation: each site's metrics and the
 * pooled metrics, overall and per subgroup, from the sites' score histograms
 * (sufficient statistics; no prediction ever leaves a site), plus the fairness
 * gaps between subgroups and the disparity between sites.
 */
import { fairnessFromStats, fromJSON, mergeStats, metricsByGroup, metricsFromStats, siteDisparity, type EvalMetrics, type EvalStats, type StatsFairness } from '@cohortfl/fairness';
import type { EvalStatsWire } from '@cohortfl/wire';

export interface EvaluationReport {
  perSite: { site: string; metrics: EvalMetrics; byGroup: Record<string, Record<string, EvalMetrics>> }[];
  pooled: { metrics: EvalMetrics; byGroup: Record<string, Record<string, EvalMetrics>>; fairness: Record<string, StatsFairness> };
  sites: { worstSite: string | null; worstAuc: number; maxMinusMin: number; std: number };
}

/** Undefined when no site sent statistics; sites whose statistics do not parse are left out. */
export function evaluationReport(perSite: readonly { site: string; stats?: EvalStatsWire }[], threshold = 0.5): EvaluationReport | undefined {
  const parsed: { site: string; stats: EvalStats }[] = [];
  for (const p of perSite) {
    if (!p.stats) continue;
    try {
      parsed.push({ site: p.site, stats: fromJSON(p.stats) });
    } catch {
      // A malformed histogram is one site's problem; the others still report.
    }
  }
  if (parsed.length === 0) return undefined;
  let pooled: EvalStats | undefined;
  for (const p of parsed) {
    try {
      pooled = pooled ? mergeStats(pooled, p.stats) : p.stats;
    } catch {
      // Sites with other bins or group columns cannot be pooled with the rest.
    }
  }
  const sites = parsed.map((p) => ({ site: p.site, metrics: metricsFromStats(p.stats.overall, threshold), byGroup: metricsByGroup(p.stats, threshold) }));
  // A column whose every value the sites suppressed (small cells) has no fairness figures.
  const fairness = Object.fromEntries(
    Object.entries(pooled!.byGroup)
      .filter(([, values]) => Object.values(values).some((c) => c.n > 0))
      .map(([column, values]) => [column, fairnessFromStats(values, threshold)]),
  );
  const d = siteDisparity(sites.map((s) => ({ site: s.site, auc: s.metrics.auc })));
  return {
    perSite: sites,
    pooled: { metrics: metricsFromStats(pooled!.overall, threshold), byGroup: metricsByGroup(pooled!, threshold), fairness },
    sites: { worstSite: d.worstSite, worstAuc: d.worstAuc, maxMinusMin: d.maxMinusMin, std: d.std },
  };
}

/** Per-subgroup AUCs flattened for a site's metrics (`auc/<column>=<value>`), at most `max` entries. */
export function flattenGroupAuc(stats: EvalStatsWire, max = 40): Record<string, number> {
  const out: Record<string, number> = {};
  const byGroup = metricsByGroup(fromJSON(stats));
  for (const [column, values] of Object.entries(byGroup)) {
    for (const [value, m] of Object.entries(values)) {
      if (Object.keys(out).length >= max) return out;
      if (Number.isFinite(m.auc)) out[`auc/${column}=${value}`.slice(0, 64)] = m.auc;
    }
  }
  return out;
}

/**
 * The report's headline numbers as round metrics (stored with the round, shown by the
 * coordinator's API, report and /metrics): pooled AUC, the worst site and the spread
 * between sites, and per subgroup column the AUC gap, worst-group AUC and the
 * demographic parity, equalized odds and equal opportunity differences.
 */
export function flattenReport(r: EvaluationReport): Record<string, number> {
  const out: Record<string, number> = {
    'pooled/auc': r.pooled.metrics.auc,
    'pooled/brier': r.pooled.metrics.brier,
    'pooled/ece': r.pooled.metrics.ece,
    'sites/worstAuc': r.sites.worstAuc,
    'sites/aucSpread': r.sites.maxMinusMin,
  };
  for (const [column, f] of Object.entries(r.pooled.fairness)) {
    out[`${column}/aucGap`] = f.aucGap;
    out[`${column}/worstGroupAuc`] = f.worstGroupAuc;
    out[`${column}/demographicParityDifference`] = f.demographicParityDifference;
    out[`${column}/equalizedOddsDifference`] = f.equalizedOddsDifference;
    out[`${column}/equalOpportunityDifference`] = f.equalOpportunityDifference;
  }
  return Object.fromEntries(Object.entries(out).filter(([, v]) => Number.isFinite(v)));
}

const AUC_GAP_SUFFIX = '/aucGap';

/** Per subgroup column, the AUC gap flattenReport stored as `<column>/aucGap` (finite values only). */
export function aucGapsOf(metrics: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(metrics)) {
    if (key.endsWith(AUC_GAP_SUFFIX) && Number.isFinite(value)) out[key.slice(0, -AUC_GAP_SUFFIX.length)] = value;
  }
  return out;
}

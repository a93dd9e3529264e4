/** Small summaries of a run's series shared by the report page and its no-JavaScript fallback. */
import type { SeriesRound } from './types.js';

export function byRound(rounds: SeriesRound[]): SeriesRound[] {
  return [...rounds].sort((a, b) => a.round - b.round || a.attempt - b.attempt);
}

/** The last round with a pooled AUC: what the report calls the final AUC. */
export function lastScored(rounds: SeriesRound[]): SeriesRound | undefined {
  return byRound(rounds).filter((r) => r.auc !== null && Number.isFinite(r.auc)).pop();
}

/** Each site's AUC in the last round that measured it (sites may miss the final round). */
export function latestSiteAuc(rounds: SeriesRound[]): { site: string; auc: number; round: number }[] {
  const latest = new Map<string, { auc: number; round: number }>();
  for (const r of byRound(rounds)) {
    for (const [site, auc] of Object.entries(r.siteAuc)) {
      if (Number.isFinite(auc)) latest.set(site, { auc, round: r.round });
    }
  }
  return [...latest.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([site, v]) => ({ site, ...v }));
}

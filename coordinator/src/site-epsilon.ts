/**
 * The ε each site reports spending (`status {ready, epsilonSpent}`). The site's
 * own ledger is the authority; the coordinator keeps the latest report per site
 * in the store's meta (`epsilon:<site>`), so status and /metrics show it across
 * coordinator restarts, and never uses it to decide anything about privacy.
 */
import type { Metrics } from './metrics.js';
import type { Store } from './store/index.js';

export const EPSILON_META_PREFIX = 'epsilon:';

export interface SiteEpsilon {
  epsilonSpent: number;
  /** Milliseconds since the epoch when the site reported it. */
  reportedAt: number;
}

export interface SitePrivacyRow {
  site: string;
  epsilonSpent: number | null;
  reportedAt: number | null;
}

export function readSiteEpsilon(store: Store, site: string): SiteEpsilon | undefined {
  const text = store.getMeta(`${EPSILON_META_PREFIX}${site}`);
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<SiteEpsilon>;
    if (typeof value.epsilonSpent === 'number' && Number.isFinite(value.epsilonSpent) && typeof value.reportedAt === 'number') {
      return { epsilonSpent: value.epsilonSpent, reportedAt: value.reportedAt };
    }
  } catch {
    // Unreadable entry: shown as not reported; the site's next status replaces it.
  }
  return undefined;
}

export function recordSiteEpsilon(store: Store, metrics: Metrics, site: string, epsilonSpent: number, at: number): void {
  const entry: SiteEpsilon = { epsilonSpent, reportedAt: at };
  store.setMeta(`${EPSILON_META_PREFIX}${site}`, JSON.stringify(entry));
  metrics.siteEpsilon.labels(site).set(epsilonSpent);
}

/** Every enrolled site with its latest report (null: none yet), sorted by name. */
export function privacyRows(store: Store): SitePrivacyRow[] {
  return store
    .listSites()
    .map((s) => {
      const e = readSiteEpsilon(store, s.name);
      return { site: s.name, epsilonSpent: e?.epsilonSpent ?? null, reportedAt: e?.reportedAt ?? null };
    })
    .sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : 0));
}

/** At start: the gauge shows what sites reported before the restart. */
export function restoreEpsilonGauge(store: Store, metrics: Metrics): void {
  for (const row of privacyRows(store)) if (row.epsilonSpent !== null) metrics.siteEpsilon.labels(row.site).set(row.epsilonSpent);
}

/** The JSON bodies of the admin API's read endpoints, built from the store, the driver and the sessions. */
import type { RunDriver } from './run-driver.js';
import type { SessionRegistry } from './session-registry.js';
import { privacyRows, readSiteEpsilon, type SitePrivacyRow } from './site-epsilon.js';
import type { RunRow, Store } from './store/index.js';

export interface SiteResult {
  site: string;
  numExamples: number | null;
  metrics: Record<string, number>;
}

export interface StatusReport {
  run: null | { id: number; task: string; taskHash: string; rounds: number; status: string };
  round: number | null;
  attempt: number | null;
  phase: 'idle' | 'train' | 'evaluate' | 'done';
  cohort: string[];
  answered: number;
  /** epsilonSpent: the ε the site last reported (null: never reported). */
  connectedSites: { site: string; since: number; ready: boolean; epsilonSpent: number | null }[];
  /** Every enrolled site's last reported ε, connected or not. */
  privacy: SitePrivacyRow[];
  lastRound: null | { round: number; evalMetrics: Record<string, number>; perSite: SiteResult[] };
}

/** Evaluation results of one stored round, one entry per site, sorted by site. */
export function perSiteOf(store: Store, runId: number, round: number): SiteResult[] {
  const bySite = new Map<string, SiteResult>();
  const entry = (site: string) => {
    let e = bySite.get(site);
    if (!e) bySite.set(site, (e = { site, numExamples: null, metrics: {} }));
    return e;
  };
  for (const p of store.participants(runId, round)) if (p.role === 'evaluated') entry(p.site).numExamples = p.numExamples;
  for (const m of store.siteMetrics(runId, round)) entry(m.site).metrics[m.name] = m.value;
  return [...bySite.values()].sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : 0));
}

function runSummary(store: Store, row: RunRow): NonNullable<StatusReport['run']> {
  return { id: row.id, task: store.getTask(row.taskHash)?.name ?? row.taskHash, taskHash: row.taskHash, rounds: row.rounds, status: row.status };
}

export function statusReport(store: Store, driver: RunDriver, sessions: SessionRegistry): StatusReport {
  const active = driver.current;
  const row = active?.row ?? store.activeRun() ?? store.listRuns().at(-1);
  const stored = row ? store.completedRounds(row.id) : [];
  const last = stored.at(-1);
  const engine = active?.run.status;
  return {
    run: row ? runSummary(store, row) : null,
    round: engine?.round ?? last?.round ?? null,
    attempt: engine?.attempt ?? last?.attempt ?? null,
    phase: engine?.phase ?? (row?.status === 'completed' ? 'done' : 'idle'),
    cohort: engine?.cohort ?? [],
    answered: engine?.answered ?? 0,
    connectedSites: sessions.list().map((s) => ({ site: s.site, since: s.since, ready: s.ready, epsilonSpent: readSiteEpsilon(store, s.site)?.epsilonSpent ?? null })),
    privacy: privacyRows(store),
    lastRound: row && last ? { round: last.round, evalMetrics: last.evalMetrics, perSite: perSiteOf(store, row.id, last.round) } : null,
  };
}

export function runReport(store: Store, row: RunRow) {
  return {
    run: { ...runSummary(store, row), config: row.config, createdAt: row.createdAt, updatedAt: row.updatedAt, message: row.message },
    attempts: store.listAttempts(row.id),
    rounds: store.completedRounds(row.id).map((r) => ({ ...r, perSite: perSiteOf(store, row.id, r.round) })),
  };
}

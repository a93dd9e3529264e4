/**
 * `cohort-coordinator report`: a run's evaluation read straight from the store —
 * per round the headline numbers (pooled AUC, worst site AUC, spread between sites,
 * each subgroup column's AUC gap), and for the last round each site's validation
 * size, AUC and subgroup AUCs (`auc/<column>=<value>`, aggregates the site sent).
 */
import Table from 'cli-table3';
import { aucGapsOf } from '@cohortfl/protocol';
import { CohortError } from '@cohortfl/wire';
import { perSiteOf } from './reports.js';
import type { RunRow, Store } from './store/index.js';

export interface EvalReportRound {
  round: number;
  attempt: number;
  pooledAuc: number | null;
  worstSiteAuc: number | null;
  aucSpread: number | null;
  /** Per subgroup column, the pooled AUC gap between its best and worst group. */
  aucGap: Record<string, number>;
}

export interface EvalReportSite {
  site: string;
  numExamples: number | null;
  auc: number | null;
  /** Keyed `<column>=<value>`. */
  subgroupAuc: Record<string, number>;
}

export interface EvalReport {
  run: { id: number; task: string; status: string; rounds: number } | null;
  rounds: EvalReportRound[];
  lastRound: { round: number; sites: EvalReportSite[] } | null;
}

const GROUP_AUC = /^auc\/(.+=.*)$/;
const finite = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

function pickRun(store: Store, runId: number | undefined): RunRow | undefined {
  if (runId === undefined) return store.activeRun() ?? store.listRuns().at(-1);
  const row = store.getRun(runId);
  if (!row) throw new CohortError('NOT_FOUND', `no run ${runId} in this store`);
  return row;
}

export function evalReport(store: Store, runId?: number): EvalReport {
  const row = pickRun(store, runId);
  if (!row) return { run: null, rounds: [], lastRound: null };
  const stored = store.completedRounds(row.id);
  const rounds = stored.map((r): EvalReportRound => {
    const m = r.evalMetrics;
    // Rounds without score histograms have no sites/worstAuc; the sites' own AUCs still give it.
    const siteAucs = perSiteOf(store, row.id, r.round).flatMap((p) => (Number.isFinite(p.metrics['auc']) ? [p.metrics['auc']!] : []));
    const aucGap = aucGapsOf(m);
    return {
      round: r.round,
      attempt: r.attempt,
      pooledAuc: finite(m['pooled/auc']),
      worstSiteAuc: finite(m['sites/worstAuc']) ?? (siteAucs.length > 0 ? Math.min(...siteAucs) : null),
      aucSpread: finite(m['sites/aucSpread']) ?? (siteAucs.length > 1 ? Math.max(...siteAucs) - Math.min(...siteAucs) : null),
      aucGap,
    };
  });
  const last = stored.at(-1);
  const sites = last
    ? perSiteOf(store, row.id, last.round).map((p): EvalReportSite => {
        const subgroupAuc: Record<string, number> = {};
        for (const [key, value] of Object.entries(p.metrics)) {
          const group = GROUP_AUC.exec(key)?.[1];
          if (group !== undefined && Number.isFinite(value)) subgroupAuc[group] = value;
        }
        return { site: p.site, numExamples: p.numExamples, auc: finite(p.metrics['auc']), subgroupAuc };
      })
    : [];
  return {
    run: { id: row.id, task: store.getTask(row.taskHash)?.name ?? row.taskHash, status: row.status, rounds: row.rounds },
    rounds,
    lastRound: last ? { round: last.round, sites } : null,
  };
}

const num = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : v.toFixed(3));

/** No colours: the report goes to files and logs as often as to a terminal. */
const table = (head: string[]) => new Table({ head, style: { head: [], border: [] } });

export function evalReportLines(report: EvalReport): string[] {
  if (!report.run) return ['no runs yet'];
  const { run } = report;
  const lines = [`run ${run.id}: task ${run.task}, ${run.status}, ${report.rounds.length} of ${run.rounds} rounds completed`];
  if (report.rounds.length === 0) return lines;
  const columns = [...new Set(report.rounds.flatMap((r) => Object.keys(r.aucGap)))].sort();
  const rounds = table(['round', 'attempt', 'pooled AUC', 'worst site AUC', 'AUC spread', ...columns.map((c) => `AUC gap ${c}`)]);
  for (const r of report.rounds) {
    rounds.push([String(r.round), String(r.attempt), num(r.pooledAuc), num(r.worstSiteAuc), num(r.aucSpread), ...columns.map((c) => num(r.aucGap[c]))]);
  }
  lines.push(rounds.toString());
  const last = report.lastRound!;
  const groups = [...new Set(last.sites.flatMap((s) => Object.keys(s.subgroupAuc)))].sort();
  const sites = table(['site', 'validation n', 'AUC', ...groups.map((g) => `AUC ${g}`)]);
  for (const s of last.sites) {
    sites.push([s.site, s.numExamples === null ? '-' : String(s.numExamples), num(s.auc), ...groups.map((g) => num(s.subgroupAuc[g]))]);
  }
  lines.push(`sites in round ${last.round}:`, sites.toString());
  return lines;
}

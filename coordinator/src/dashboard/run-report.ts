/**
 * `cohort-coordinator report --html`: a run from the store as one self-contained HTML
 * page with the dashboard's charts (for people who are not on the dashboard).
 */
import type { ReportInput } from '@cohortfl/dashboard';
import { CohortError } from '@cohortfl/wire';
import { evalReport } from '../eval-report.js';
import { readSiteEpsilon } from '../site-epsilon.js';
import type { Store } from '../store/index.js';
import { runSeries } from './series.js';

export function runReportInput(store: Store, runId: number | undefined, coordinatorFingerprint: string, now = Date.now()): ReportInput {
  const report = evalReport(store, runId);
  if (!report.run) throw new CohortError('NOT_FOUND', 'this store holds no run yet; start one with: cohort-coordinator rounds start');
  const row = store.getRun(report.run.id)!;
  const task = store.getTask(row.taskHash);
  const series = runSeries(store, row.id);
  const attempts = store.listAttempts(row.id);
  const failedAttempts = attempts.filter((a) => a.status === 'failed').length;
  const holdOut = Array.isArray(row.config['holdOut']) ? (row.config['holdOut'] as unknown[]).join(', ') : '';
  return {
    title: `Run ${row.id}: ${task?.name ?? row.taskHash}${task ? ` ${task.version}` : ''}`,
    subtitle: `${row.status} · ${series.rounds.length} of ${row.rounds} rounds · task ${row.taskHash.slice(0, 16)}… · coordinator ${coordinatorFingerprint}`,
    generatedAt: now,
    series,
    sites: (report.lastRound?.sites ?? []).map((s) => ({
      site: s.site,
      numExamples: s.numExamples,
      auc: s.auc,
      epsilonSpent: readSiteEpsilon(store, s.site)?.epsilonSpent ?? null,
    })),
    facts: [
      { label: 'Run', value: String(row.id) },
      { label: 'Status', value: row.status + (row.message ? ` (${row.message})` : '') },
      { label: 'Task manifest SHA-256', value: row.taskHash },
      { label: 'Started', value: new Date(row.createdAt).toISOString() },
      { label: 'Last change', value: new Date(row.updatedAt).toISOString() },
      { label: 'Rounds completed', value: `${series.rounds.length} / ${row.rounds}` },
      { label: 'Failed attempts (retried)', value: String(failedAttempts) },
      ...(holdOut ? [{ label: 'Held-out sites (external validation)', value: holdOut }] : []),
    ],
    notes: [
      'Every number here was computed by the coordinator from what the sites sent: aggregated model updates and per-site evaluation statistics. No patient-level data left any site.',
      'Per-site ε is each site\'s own report from its privacy ledger; the site\'s ledger is the authority.',
    ],
  };
}

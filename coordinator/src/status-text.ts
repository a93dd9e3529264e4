/** `cohort-coordinator status` for people: a few lines from the /api/status JSON. */
import type { StatusReport } from './reports.js';

function metricsText(metrics: Record<string, number | null>): string {
  const entries = Object.entries(metrics);
  if (entries.length === 0) return '(no metrics)';
  return entries.map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v)}`).join(' ');
}

function epsilonText(e: number): string {
  return Number.isInteger(e) ? String(e) : e.toFixed(4);
}

export function statusLines(s: StatusReport): string[] {
  const lines: string[] = [];
  if (!s.run) lines.push('no run yet');
  else {
    lines.push(`run ${s.run.id}: task ${s.run.task} (${s.run.taskHash.slice(0, 12)}), ${s.run.rounds} rounds, ${s.run.status}`);
    if (s.run.status === 'running') {
      const cohort = s.cohort.length > 0 ? ` (cohort: ${s.cohort.join(', ')})` : '';
      const progress = s.phase === 'train' || s.phase === 'evaluate' ? `: ${s.answered} of ${s.cohort.length} answered${cohort}` : '';
      lines.push(`round ${s.round ?? '-'} of ${s.run.rounds}, attempt ${s.attempt ?? '-'}, phase ${s.phase}${progress}`);
    }
  }
  const sites = s.connectedSites.map((c) => `${c.site}${c.ready ? '' : ' (not ready)'}${c.epsilonSpent === null ? '' : ` ε=${epsilonText(c.epsilonSpent)}`}`);
  lines.push(`connected sites: ${s.connectedSites.length}${sites.length > 0 ? ` (${sites.join(', ')})` : ''}`);
  const reported = (s.privacy ?? []).filter((p) => p.epsilonSpent !== null);
  if (reported.length > 0) {
    lines.push('privacy spent (ε each site reports from its own ledger):');
    for (const p of s.privacy ?? []) lines.push(`  ${p.site}: ${p.epsilonSpent === null ? 'not reported' : `ε=${epsilonText(p.epsilonSpent)} (reported ${new Date(p.reportedAt!).toISOString()})`}`);
  }
  if (s.lastRound) {
    lines.push(`last round ${s.lastRound.round}: ${metricsText(s.lastRound.evalMetrics)}`);
    for (const p of s.lastRound.perSite) lines.push(`  ${p.site}: n=${p.numExamples ?? '-'} ${metricsText(p.metrics)}`);
  }
  return lines;
}

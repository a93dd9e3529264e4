/** Summary tables of a run report, built from the same ReportInput the server embedded. */
import { byRound, lastScored } from '../series-stats.js';
import type { ReportInput } from '../types.js';
import { roundSeconds } from './charts.js';
import { h } from './dom.js';
import { formatBytes, formatDuration, formatMetric } from '../format.js';

function table(caption: string, head: string[], rows: (string | number)[][], numeric: boolean[]): HTMLTableElement {
  return h('table', { class: 'data' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...head.map((c, i) => h('th', { class: numeric[i] ? 'num' : null, scope: 'col' }, c)))),
    h('tbody', {}, ...rows.map((row) => h('tr', {}, ...row.map((c, i) => h('td', { class: numeric[i] ? 'num' : null }, String(c)))))));
}

export function summaryTable(input: ReportInput): HTMLTableElement {
  const rounds = input.series.rounds;
  const last = lastScored(rounds);
  // A run that recorded no bytes (a simulation has no network) says so rather than "0 B".
  const recorded = rounds.filter((r) => r.bytesReceived !== null);
  const totalBytes = recorded.reduce((sum, r) => sum + (r.bytesReceived ?? 0), 0);
  const totalMs = rounds.reduce((sum, r) => sum + ((roundSeconds(r) ?? 0) * 1000), 0);
  const rows: string[][] = [
    ['Rounds completed', String(rounds.length)],
    ['Final pooled AUC', last ? `${formatMetric(last.auc)} (round ${last.round})` : '–'],
    ['Final worst-site AUC', formatMetric(last?.worstSiteAuc ?? null)],
    ['Final eval loss', formatMetric(last?.evalLoss ?? null, 4)],
    ['Update bytes received', recorded.length === 0 ? 'not recorded' : formatBytes(totalBytes)],
    ['Time in rounds', formatDuration(totalMs)],
    ...(input.facts ?? []).map((f) => [f.label, f.value]),
  ];
  return table('Summary', ['', 'Value'], rows, [false, false]);
}

export function sitesTable(input: ReportInput): HTMLTableElement | null {
  const sites = input.sites;
  if (!sites || sites.length === 0) return null;
  const withEps = sites.some((s) => s.epsilonSpent !== undefined);
  const head = ['Site', 'Examples', 'AUC', ...(withEps ? ['ε spent'] : [])];
  const rows = sites.map((s) => [
    s.site,
    s.numExamples === null ? '–' : String(s.numExamples),
    formatMetric(s.auc),
    ...(withEps ? [formatMetric(s.epsilonSpent ?? null, 2)] : []),
  ]);
  return table('Sites', head, rows, [false, true, true, true]);
}

export function roundsTable(input: ReportInput): HTMLTableElement {
  const rows = byRound(input.series.rounds)
    .map((r) => {
      const secs = roundSeconds(r);
      return [
        String(r.round), String(r.attempt), String(r.trained.length),
        r.failures.length === 0 ? '–' : r.failures.map((f) => `${f.site}: ${f.reason}`).join('; '),
        formatMetric(r.trainLoss, 4), formatMetric(r.evalLoss, 4), formatMetric(r.auc), formatMetric(r.worstSiteAuc),
        r.bytesReceived === null ? '–' : formatBytes(r.bytesReceived),
        secs === null ? '–' : `${secs.toFixed(1)} s`,
      ];
    });
  return table('Rounds',
    ['Round', 'Attempt', 'Trained', 'Failures', 'Train loss', 'Eval loss', 'AUC', 'Worst site', 'Bytes', 'Duration'],
    rows, [true, true, true, false, true, true, true, true, true, true]);
}

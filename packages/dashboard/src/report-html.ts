/**
 * One self-contained HTML run report: inline CSS, inline chart script, the data
 * as JSON, and a <noscript> table with the key numbers. It loads nothing from
 * the network, and its Content-Security-Policy forbids it to.
 */
import { createHash } from 'node:crypto';
import { CohortError } from '@cohortfl/wire';
import { reportAssets } from './assets.js';
import { formatMetric } from './format.js';
import { escapeHtml, jsonForScript } from './html-escape.js';
import { lastScored, latestSiteAuc } from './series-stats.js';
import type { ReportInput } from './types.js';

export interface ReportAssets {
  script: string;
  css: string;
}

const CHART_IDS = ['chart-global', 'chart-sites', 'chart-fairness', 'chart-traffic'] as const;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

function checkInput(input: ReportInput): void {
  if (typeof input !== 'object' || input === null) throw new CohortError('DATA_INVALID', 'report input must be an object');
  if (typeof input.title !== 'string') throw new CohortError('DATA_INVALID', 'report title must be a string');
  if (!Number.isFinite(new Date(input.generatedAt).getTime())) throw new CohortError('DATA_INVALID', 'report generatedAt must be a time in ms');
  if (!Array.isArray(input.series?.rounds)) throw new CohortError('DATA_INVALID', 'report series.rounds must be an array');
}

function rows(cells: string[][]): string {
  return cells.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('');
}

/** The numbers a reader needs when JavaScript is off: final pooled AUC, per-site AUC, facts, notes. */
function noscript(input: ReportInput): string {
  const rounds = input.series.rounds;
  const last = lastScored(rounds);
  const summary = [
    ['Rounds completed', String(rounds.length)],
    ['Final pooled AUC', last ? `${formatMetric(last.auc)} (round ${last.round})` : '–'],
    ['Final worst-site AUC', formatMetric(last?.worstSiteAuc ?? null)],
    ...(input.facts ?? []).map((f) => [f.label, f.value]),
  ];
  const sites = input.sites && input.sites.length > 0
    ? input.sites.map((s) => [s.site, formatMetric(s.auc)])
    : latestSiteAuc(rounds).map((s) => [s.site, `${formatMetric(s.auc)} (round ${s.round})`]);
  const notes = (input.notes ?? []).map((n) => `<li>${escapeHtml(n)}</li>`).join('');
  return [
    '<noscript><p>The charts need JavaScript; the key numbers follow.</p>',
    `<table class="data"><caption>Summary</caption><tbody>${rows(summary)}</tbody></table>`,
    `<table class="data"><caption>AUC per site</caption><thead><tr><th>Site</th><th>AUC</th></tr></thead><tbody>${rows(sites)}</tbody></table>`,
    notes ? `<h2>Notes</h2><ul>${notes}</ul>` : '',
    '</noscript>',
  ].join('\n');
}

/** The report page from given script and CSS (renderReportHtml supplies the built ones). */
export function buildReportHtml(input: ReportInput, assets: ReportAssets): string {
  checkInput(input);
  if (/<\/script/i.test(assets.script) || /<\/style/i.test(assets.css)) {
    throw new CohortError('INTERNAL', 'report assets contain a closing tag and cannot be inlined');
  }
  const data = jsonForScript(input);
  // Hashes instead of 'unsafe-inline': only this exact script and stylesheet may run.
  const csp = [
    "default-src 'none'", `script-src ${sha256(assets.script)}`, `style-src ${sha256(assets.css)}`,
    "img-src data: blob:", "base-uri 'none'", "form-action 'none'",
  ].join('; ');
  const title = escapeHtml(input.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<title>${title}</title>
<style>${assets.css}</style>
</head>
<body>
<header>
<h1>${title}</h1>
${input.subtitle ? `<p class="subtitle">${escapeHtml(input.subtitle)}</p>\n` : ''}<p class="generated">Generated ${escapeHtml(new Date(input.generatedAt).toISOString())} by CohortFL</p>
</header>
${noscript(input)}
<section class="charts">
${CHART_IDS.map((id) => `<div class="chart-box"><canvas id="${id}"></canvas></div>`).join('\n')}
</section>
<section id="report-tables"></section>
<section id="report-notes"></section>
<script type="application/json" id="cohort-report-data">${data}</script>
<script>${assets.script}</script>
</body>
</html>
`;
}

/** A self-contained HTML report of a run; needs the built bundle (pnpm build). */
export function renderReportHtml(input: ReportInput): string {
  return buildReportHtml(input, reportAssets());
}

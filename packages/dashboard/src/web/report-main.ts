/**
 * The run report's script: the server embedded a ReportInput as JSON in the
 * page; draw the four dashboard charts and the summary tables from it.
 */
import type { ReportInput } from '../types.js';
import { createChartSet } from './chart-set.js';
import { byId, h, replaceChildren } from './dom.js';
import { roundsTable, sitesTable, summaryTable } from './report-tables.js';

function main(): void {
  const input = JSON.parse(byId('cohort-report-data').textContent ?? 'null') as ReportInput;
  replaceChildren(byId('report-tables'), summaryTable(input), sitesTable(input), roundsTable(input));
  const notes = input.notes ?? [];
  if (notes.length > 0) replaceChildren(byId('report-notes'), h('h2', {}, 'Notes'), h('ul', {}, ...notes.map((n) => h('li', {}, n))));
  createChartSet(document, input.series);
}

main();

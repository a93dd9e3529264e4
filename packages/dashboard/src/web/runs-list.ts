/** Earlier and current runs, newest first. */
import type { DashboardSnapshot } from '../types.js';
import { h, replaceChildren } from './dom.js';
import { formatTimestamp } from '../format.js';

export function renderRuns(tbody: HTMLElement, runs: DashboardSnapshot['runs'], currentId: number | null): void {
  const rows = [...runs]
    .sort((a, b) => b.id - a.id)
    .map((r) => h('tr', { class: r.id === currentId ? 'current' : null },
      h('td', { class: 'num' }, String(r.id)),
      h('td', {}, r.task),
      h('td', {}, h('span', { class: `pill pill-${r.status}` }, r.status)),
      h('td', { class: 'num' }, String(r.rounds)),
      h('td', {}, formatTimestamp(r.createdAt))));
  if (rows.length === 0) rows.push(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No runs yet.')));
  replaceChildren(tbody, ...rows);
}

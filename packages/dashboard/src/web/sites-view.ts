/** The sites table: who is enrolled, online, ready, what they allow and how much privacy they spent. */
import type { SiteView } from '../types.js';
import { agoAttrs, serverNow } from './clock.js';
import { h, replaceChildren } from './dom.js';
import { formatAgo } from '../format.js';

function presence(site: SiteView): { cls: string; label: string } {
  if (site.status === 'revoked') return { cls: 'dot-off', label: 'revoked' };
  if (!site.connected) return { cls: 'dot-off', label: 'offline' };
  if (!site.ready) return { cls: 'dot-warn', label: 'connected, not ready' };
  return { cls: 'dot-ok', label: 'connected and ready' };
}

export function policySummary(policy: SiteView['policy']): string {
  if (!policy) return 'not reported';
  const tasks = `${policy.approvedTasks} task${policy.approvedTasks === 1 ? '' : 's'} approved`;
  return `min cohort ${policy.minCohortSize} · ${tasks} · ${policy.acceptTasks ? 'accepting' : 'paused'}`;
}

/** ε spent as text plus a bar against the budget (bar only when a budget is known). */
function epsilonCell(site: SiteView): HTMLElement {
  const { epsilonSpent: spent, epsilonBudget: budget } = site;
  if (spent === null) return h('td', { class: 'muted' }, '–');
  const label = budget === null ? `${spent.toFixed(2)} (no budget)` : `${spent.toFixed(2)} / ${budget.toFixed(2)}`;
  if (budget === null || budget <= 0) return h('td', {}, label);
  const frac = Math.min(1, Math.max(0, spent / budget));
  const level = frac >= 0.9 ? 'high' : frac >= 0.6 ? 'mid' : 'low';
  const fill = h('div', { class: `meter-fill meter-${level}` });
  // CSSOM, not a style attribute, so a strict Content-Security-Policy still allows it.
  fill.style.width = `${(frac * 100).toFixed(1)}%`;
  const bar = h('div', { class: 'meter', role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': budget, 'aria-valuenow': spent }, fill);
  return h('td', { class: 'eps' }, bar, h('span', { class: 'eps-text' }, label));
}

export function renderSites(tbody: HTMLElement, sites: SiteView[]): void {
  const now = serverNow();
  const rows = [...sites]
    .sort((a, b) => Number(a.status === 'revoked') - Number(b.status === 'revoked') || a.name.localeCompare(b.name))
    .map((site) => {
      const p = presence(site);
      return h('tr', { class: site.status === 'revoked' ? 'revoked' : null, 'data-site': site.name },
        h('td', { class: 'site-name' },
          h('span', { class: `dot ${p.cls}`, title: p.label, 'aria-label': p.label }),
          h('span', { title: `fingerprint ${site.fingerprint}` }, site.name)),
        h('td', {}, site.status === 'revoked' ? 'revoked' : p.label),
        h('td', agoAttrs(site.lastSeen), formatAgo(site.lastSeen, now)),
        h('td', { class: 'policy' }, policySummary(site.policy)),
        epsilonCell(site));
    });
  if (rows.length === 0) rows.push(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No sites enrolled yet.')));
  replaceChildren(tbody, ...rows);
}

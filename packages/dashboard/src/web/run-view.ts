/** The run panel: which run, which round and phase, who is in the cohort and who is late. */
import type { RunView } from '../types.js';
import { tick } from './clock.js';
import { byId, h, replaceChildren, setText } from './dom.js';

function setTimeAttr(el: HTMLElement, name: 'since' | 'until', at: number | null): void {
  if (at === null) {
    delete el.dataset[name];
    el.textContent = '–';
  } else {
    el.dataset[name] = String(at);
  }
}

function cohortChips(run: RunView): HTMLElement[] {
  const late = new Set(run.stragglers);
  const answered = new Set(run.answered);
  return [...run.cohort].sort().map((site) => {
    const state = late.has(site) ? 'straggler' : answered.has(site) ? 'answered' : 'waiting';
    return h('li', { class: `chip chip-${state}`, title: state }, site);
  });
}

export function renderRun(run: RunView | null, doc: Document = document): void {
  const panel = byId('run-panel', doc);
  panel.classList.toggle('empty', run === null);
  if (run === null) {
    setText(byId('run-id', doc), '–');
    setText(byId('run-task', doc), 'No run yet');
    setText(byId('run-status', doc), '');
    byId('run-status', doc).className = 'pill';
    setText(byId('round', doc), '0');
    setText(byId('rounds', doc), '0');
    setText(byId('attempt', doc), '–');
    setText(byId('phase', doc), 'idle');
    setText(byId('secure-step', doc), '');
    setTimeAttr(byId('phase-elapsed', doc), 'since', null);
    setTimeAttr(byId('deadline', doc), 'until', null);
    byId('progress-fill', doc).style.width = '0%';
    replaceChildren(byId('cohort', doc));
    setText(byId('cohort-count', doc), '');
    setText(byId('holdout', doc), '–');
    setText(byId('run-message', doc), '');
    return;
  }
  setText(byId('run-id', doc), String(run.id));
  setText(byId('run-task', doc), run.task);
  byId('run-task', doc).title = `task hash ${run.taskHash}`;
  const status = byId('run-status', doc);
  setText(status, run.status);
  status.className = `pill pill-${run.status}`;
  // Plain digits so scripts (and the browser test) can read the round number directly.
  setText(byId('round', doc), String(run.round ?? 0));
  setText(byId('rounds', doc), String(run.rounds));
  setText(byId('attempt', doc), run.attempt === null ? '–' : String(run.attempt));
  setText(byId('phase', doc), run.phase);
  setText(byId('secure-step', doc), run.secureStep ? `secure aggregation: ${run.secureStep}` : '');
  const live = run.status === 'running';
  setTimeAttr(byId('phase-elapsed', doc), 'since', live ? run.phaseStartedAt : null);
  setTimeAttr(byId('deadline', doc), 'until', live ? run.deadlineAt : null);
  const frac = run.rounds > 0 ? Math.min(1, Math.max(0, (run.round ?? 0) / run.rounds)) : 0;
  byId('progress-fill', doc).style.width = `${(frac * 100).toFixed(1)}%`;
  byId('progress', doc).setAttribute('aria-valuenow', String(run.round ?? 0));
  byId('progress', doc).setAttribute('aria-valuemax', String(run.rounds));
  replaceChildren(byId('cohort', doc), ...cohortChips(run));
  const late = run.stragglers.length;
  setText(byId('cohort-count', doc),
    `${run.answered.length}/${run.cohort.length} answered${late > 0 && live ? ` · ${late} straggler${late === 1 ? '' : 's'}` : ''}`);
  setText(byId('holdout', doc), run.holdOut.length > 0 ? [...run.holdOut].sort().join(', ') : 'none');
  const message = byId('run-message', doc);
  setText(message, run.message ?? '');
  message.hidden = !run.message;
  tick(panel);
}

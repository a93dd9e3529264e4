/**
 * Operator-only controls: start a run (task, rounds, hold-out sites) and stop
 * the running one. Hidden for viewers; the server checks the role anyway.
 */
import type { DashboardSnapshot } from '../types.js';
import { ApiError, postJson } from './api.js';
import { byId, setText } from './dom.js';

interface Option { value: string; label: string }

/** Rebuild a select's options only when they changed, keeping what the user selected. */
function syncOptions(select: HTMLSelectElement, options: Option[]): void {
  const current = [...select.options].map((o) => `${o.value}\u0000${o.text}`).join('\u0001');
  const next = options.map((o) => `${o.value}\u0000${o.label}`).join('\u0001');
  if (current === next) return;
  const selected = new Set([...select.selectedOptions].map((o) => o.value));
  select.replaceChildren(...options.map((o) => {
    const el = new Option(o.label, o.value);
    el.selected = selected.has(o.value);
    return el;
  }));
}

export interface Controls {
  render(snapshot: DashboardSnapshot): void;
}

export function createControls(getToken: () => string | null, doc: Document = document): Controls {
  const panel = byId('operator-controls', doc);
  const form = byId<HTMLFormElement>('start-form', doc);
  const task = byId<HTMLSelectElement>('start-task', doc);
  const rounds = byId<HTMLInputElement>('start-rounds', doc);
  const holdOut = byId<HTMLSelectElement>('start-holdout', doc);
  const startButton = byId<HTMLButtonElement>('start', doc);
  const stopButton = byId<HTMLButtonElement>('stop', doc);
  const status = byId('control-status', doc);
  let runningId: number | null = null;

  const report = (text: string, isError: boolean) => {
    setText(status, text);
    status.classList.toggle('error', isError);
  };

  async function act(button: HTMLButtonElement, path: string, body: unknown, done: string): Promise<void> {
    const token = getToken();
    if (!token) return report('Sign in first.', true);
    button.disabled = true;
    report('Sending…', false);
    try {
      await postJson(path, token, body);
      report(done, false);
    } catch (err) {
      report(err instanceof ApiError ? err.message : 'Request failed.', true);
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!task.value) return report('Choose a task.', true);
    const body: { task: string; rounds?: number; holdOut?: string[] } = { task: task.value };
    if (rounds.value.trim() !== '') {
      const n = Number(rounds.value);
      if (!Number.isInteger(n) || n < 1) return report('Rounds must be a whole number of at least 1.', true);
      body.rounds = n;
    }
    const chosen = [...holdOut.selectedOptions].map((o) => o.value);
    if (chosen.length > 0) body.holdOut = chosen;
    void act(startButton, '/api/runs', body, `Started ${body.task}.`);
  });

  stopButton.addEventListener('click', () => {
    if (runningId === null) return;
    const id = runningId;
    if (!window.confirm(`Stop run ${id}? The current round is abandoned.`)) return;
    void act(stopButton, `/api/runs/${encodeURIComponent(String(id))}/stop`, undefined, `Stop requested for run ${id}.`);
  });

  return {
    render(snapshot) {
      const operator = snapshot.role === 'operator';
      panel.hidden = !operator;
      runningId = snapshot.run?.status === 'running' ? snapshot.run.id : null;
      stopButton.hidden = !operator || runningId === null;
      syncOptions(task, snapshot.tasks.map((t) => ({ value: t.name, label: `${t.name} ${t.version} (${t.hash.slice(0, 8)})` })));
      syncOptions(holdOut, snapshot.sites
        .filter((s) => s.status === 'active')
        .map((s) => ({ value: s.name, label: s.name }))
        .sort((a, b) => a.value.localeCompare(b.value)));
      // Whether a second concurrent run is allowed is the server's decision; its error is shown if not.
      startButton.disabled = snapshot.tasks.length === 0;
    },
  };
}

// A real consortium on loopback: `cohort-coordinator serve` on port 0 and
// `cohort-site run` agents as separate OS processes, through whole runs, a site
// killed mid-round, and the coordinator killed with SIGKILL and restarted.
import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../coordinator/src/store/index.js';
import { adminToken, api, cli, COORDINATOR_CLI, createFixture, parseMetrics, pointSitesAt, startCoordinator, startSite, waitUntil, type Fixture, type Running } from './support/consortium.js';

const running: Running[] = [];
const fixtures: Fixture[] = [];

afterEach(async () => {
  for (const p of running.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  for (const f of fixtures.splice(0)) rmSync(f.dir, { recursive: true, force: true });
});

async function setup(options: Parameters<typeof createFixture>[0] = {}) {
  const fixture = await createFixture(options);
  fixtures.push(fixture);
  const coordinator = await startCoordinator(fixture);
  running.push(coordinator.proc);
  pointSitesAt(fixture, coordinator.url);
  return { fixture, coordinator, token: adminToken(fixture) };
}

type Status = { run: null | { id: number; status: string }; round: number; phase: string; lastRound: null | { round: number; evalMetrics: Record<string, number> }; connectedSites: { site: string }[] };

const status = (url: string, token: string) => api<Status>(url, token, '/api/status');

describe('a real federation over socket.io', () => {
  it('runs every round with three site-agent processes and exposes metrics on both sides', async () => {
    const { fixture, coordinator, token } = await setup({ rounds: 3 });
    const sites = await Promise.all(fixture.sites.map((s) => startSite(fixture, s.name)));
    running.push(...sites);
    await waitUntil(async () => (await status(coordinator.url, token)).connectedSites.length === 3, 20_000, 'three sites connected');
    const run = await api<{ id: number }>(coordinator.url, token, '/api/runs', { method: 'POST', body: JSON.stringify({ task: 'cad-mini', rounds: 3 }) });
    await waitUntil(async () => (await status(coordinator.url, token)).run?.status === 'completed', 120_000, 'run completed');
    const detail = await api<{ rounds: { round: number; trained: string[]; evalMetrics: Record<string, number>; perSite: { site: string; metrics: Record<string, number> }[] }[] }>(coordinator.url, token, `/api/runs/${run.id}`);
    expect(detail.rounds.map((r) => r.round)).toEqual([1, 2, 3]);
    for (const r of detail.rounds) {
      expect([...r.trained].sort()).toEqual(['alpha', 'beta', 'gamma']);
      expect(r.perSite).toHaveLength(3);
      expect(r.evalMetrics.auc).toBeGreaterThan(0.5);
    }
    // Sites send score histograms: their subgroup AUCs are stored with each round.
    for (const r of detail.rounds) expect(r.perSite.some((p) => Object.keys(p.metrics).some((k) => k.startsWith('auc/ancestry=')))).toBe(true);

    const metrics = parseMetrics(await (await fetch(`${coordinator.url}/metrics`)).text());
    expect(metrics.get('cohort_rounds_total{outcome="completed"}')).toBe(3);
    expect(metrics.get('cohort_connected_sites')).toBe(3);
    expect(metrics.get('cohort_update_bytes_total')).toBeGreaterThan(0);
    expect([...metrics.keys()].some((k) => k.startsWith('cohort_round_duration_seconds_count'))).toBe(true);
    expect([...metrics.keys()].some((k) => k.startsWith('cohort_phase_duration_seconds_count{phase="train"}'))).toBe(true);
    expect(metrics.get('cohort_site_auc{site="alpha"}')).toBeGreaterThan(0);
    expect(metrics.has('cohort_fairness_gap{column="ancestry",metric="aucGap"}')).toBe(true);
    expect(metrics.get('cohort_pooled_auc')).toBeGreaterThan(0.5);

    // The evaluation report reads the store directly, as `sites list` does.
    const report = cli(COORDINATOR_CLI, ['report', '--data-dir', fixture.coordDir]);
    expect(report).toContain('alpha');
    expect(report).toContain('AUC gap ancestry');

    const siteMetricsUrl = (await sites[0]!.waitFor(/metrics on (\S+)/))[1]!;
    const siteText = await (await fetch(siteMetricsUrl.endsWith('/metrics') ? siteMetricsUrl : `${siteMetricsUrl}/metrics`)).text();
    const site = parseMetrics(siteText);
    expect(site.get('cohort_site_connected')).toBe(1);
    expect(site.get('cohort_site_update_bytes_total')).toBeGreaterThan(0);
    expect([...site.keys()].some((k) => k.startsWith('cohort_site_rounds_total'))).toBe(true);
    expect(siteText).toContain('cohort_site_phase_duration_seconds');
    expect(siteText).toContain('cohort_messages_rejected_total');
  }, 180_000);

  it('validates externally on a held-out hospital: evaluated every round, never trained on', async () => {
    const { fixture, coordinator, token } = await setup({ rounds: 2 });
    running.push(...(await Promise.all(fixture.sites.map((s) => startSite(fixture, s.name)))));
    await waitUntil(async () => (await status(coordinator.url, token)).connectedSites.length === 3, 20_000, 'three sites connected');
    const run = await api<{ id: number }>(coordinator.url, token, '/api/runs', { method: 'POST', body: JSON.stringify({ task: 'cad-mini', rounds: 2, holdOut: ['gamma'] }) });
    await waitUntil(async () => (await status(coordinator.url, token)).run?.status === 'completed', 120_000, 'run completed');
    const detail = await api<{ rounds: { trained: string[]; perSite: { site: string; metrics: Record<string, number> }[] }[] }>(coordinator.url, token, `/api/runs/${run.id}`);
    for (const r of detail.rounds) {
      expect([...r.trained].sort()).toEqual(['alpha', 'beta']);
      expect(r.perSite.map((p) => p.site)).toContain('gamma');
    }
  }, 180_000);

  it('completes the round without a site killed mid-round', async () => {
    const ROUNDS = 8;
    // Plaintext: with secure aggregation and no DP, a kill that lands after the others revealed
    // for the round leaves them refusing any retry of it (revealed-rounds), and the run stalls —
    // the known limitation the operator-facing issue on stalled runs covers. Secure rounds that
    // lose a site at each step are tested in test/secure-aggregation.test.ts.
    const { fixture, coordinator, token } = await setup({ secure: false, rounds: ROUNDS, timeouts: { train: 30, evaluate: 30 } });
    const sites = await Promise.all(fixture.sites.map((s) => startSite(fixture, s.name)));
    running.push(...sites);
    await waitUntil(async () => (await status(coordinator.url, token)).connectedSites.length === 3, 20_000, 'three sites connected');
    const run = await api<{ id: number }>(coordinator.url, token, '/api/runs', { method: 'POST', body: JSON.stringify({ task: 'cad-mini', rounds: ROUNDS }) });
    // Kill gamma while a train phase is open, after round 1 is stored and well before the last
    // round. Rounds take tens of milliseconds here, so which round is open is read, not assumed.
    let open = 0;
    await waitUntil(async () => {
      const s = await status(coordinator.url, token);
      open = s.round;
      return (s.lastRound?.round ?? 0) >= 1 && s.phase === 'train' && s.round <= ROUNDS - 3;
    }, 60_000, 'a train phase after round 1');
    const gamma = sites[2]!;
    gamma.child.kill('SIGKILL');
    await gamma.exited;
    await waitUntil(async () => (await status(coordinator.url, token)).run?.status === 'completed', 120_000, 'run completed');
    const detail = await api<{ rounds: { round: number; trained: string[]; failures: { site: string; reason: string }[] }[] }>(coordinator.url, token, `/api/runs/${run.id}`);
    // Every round completed; the one open at the kill (or the next, if it closed just before the
    // kill landed) may still count gamma's answer, every later one ran with alpha and beta.
    expect(detail.rounds.map((r) => r.round)).toEqual(Array.from({ length: ROUNDS }, (_, i) => i + 1));
    const later = detail.rounds.filter((r) => r.round > open + 1);
    expect(later.length).toBeGreaterThanOrEqual(2);
    for (const r of later) expect([...r.trained].sort()).toEqual(['alpha', 'beta']);
  }, 180_000);

  it('continues from the last completed round after SIGKILL, with stored rounds byte-identical', async () => {
    // Plaintext, for the reason above: a coordinator killed after the sites revealed cannot
    // retry that secure round without DP.
    const { fixture, coordinator, token } = await setup({ secure: false, rounds: 6 });
    const sites = await Promise.all(fixture.sites.map((s) => startSite(fixture, s.name)));
    running.push(...sites);
    await waitUntil(async () => (await status(coordinator.url, token)).connectedSites.length === 3, 20_000, 'three sites connected');
    const run = await api<{ id: number }>(coordinator.url, token, '/api/runs', { method: 'POST', body: JSON.stringify({ task: 'cad-mini', rounds: 6 }) });
    await waitUntil(async () => ((await status(coordinator.url, token)).lastRound?.round ?? 0) >= 2, 90_000, 'two rounds');
    coordinator.proc.child.kill('SIGKILL');
    await coordinator.proc.exited;

    const dbPath = join(fixture.coordDir, 'coordinator.db');
    const before = openStore(dbPath);
    const stored = before.rawRoundRows(run.id);
    before.close();
    expect(stored.rounds.length).toBeGreaterThanOrEqual(2);
    expect(stored.checkpoints).toHaveLength(stored.rounds.length);

    const port = Number(new URL(coordinator.url).port);
    const restarted = await startCoordinator(fixture, port);
    running.push(restarted.proc);
    await waitUntil(async () => (await status(restarted.url, token)).run?.status === 'completed', 150_000, 'resumed run completed');

    const after = openStore(dbPath);
    const rows = after.rawRoundRows(run.id);
    const attempts = after.completedRounds(run.id);
    after.close();
    expect(attempts.map((r) => r.round)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const table of ['rounds', 'checkpoints', 'participants', 'siteMetrics'] as const) {
      const n = stored[table].length;
      expect(rows[table].slice(0, n), table).toEqual(stored[table]);
    }
  }, 300_000);
});

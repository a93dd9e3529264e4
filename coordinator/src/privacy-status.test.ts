// Differential privacy at the coordinator: the DP settings a task carries reach every
// signed round/start; the ε sites report (status epsilonSpent) shows in /api/status,
// `status` and /metrics and survives a restart; a site that reports ready:false is
// no longer selected.
import { afterEach, describe, expect, it } from 'vitest';
import { decodePublicKey, encodePublicKey, generateIdentity } from '@cohortfl/identity';
import { DP_CONFIG_KEYS } from '@cohortfl/protocol';
import type { BuiltManifest } from '@cohortfl/sdk';
import { createEnvelope } from '@cohortfl/wire';
import type { RunningCoordinator } from './coordinator.js';
import { FakeSite, type Behavior } from './fake-site.test-suite.js';
import { adminToken, api, enroll, makeDataDir, metric, publish, removeDataDirs, startTest, tinyTask, waitUntil } from './fixtures.test-suite.js';
import { statusLines } from './status-text.js';

let dataDir: string;
let c: RunningCoordinator | undefined;
let sites: FakeSite[] = [];

afterEach(async () => {
  for (const s of sites) s.close();
  sites = [];
  await c?.close();
  c = undefined;
  removeDataDirs();
});

async function federation(task: BuiltManifest, behaviors: Record<string, Behavior>, extraEnrolled: string[] = []) {
  dataDir = await makeDataDir();
  publish(dataDir, task);
  const identities = Object.keys(behaviors).map((name) => ({ name, identity: generateIdentity() }));
  for (const { name, identity } of identities) enroll(dataDir, name, encodePublicKey(identity.publicKey));
  for (const name of extraEnrolled) enroll(dataDir, name, encodePublicKey(generateIdentity().publicKey));
  c = await startTest(dataDir);
  const key = decodePublicKey(c.publicKey);
  for (const { name, identity } of identities) {
    const s = new FakeSite(c.url, name, identity);
    sites.push(s);
    await s.join(key, behaviors[name]);
  }
  return { key, token: adminToken(dataDir) };
}

describe('site privacy reports', () => {
  it('shows the ε a site reports in /api/status, the status text and /metrics, and keeps it across a restart', async () => {
    const task = await tinyTask({ minSites: 1 });
    const { token } = await federation(task, { 'site-a': {} }, ['site-z']);
    const a = sites[0]!;
    a.status({ ready: true, epsilonSpent: 1.25 });
    const status = await waitUntil(async () => {
      const r = await api(c!, '/api/status', { token });
      return r.json.connectedSites[0]?.epsilonSpent === 1.25 ? r.json : undefined;
    }, 'reported ε');
    expect(status.connectedSites).toEqual([{ site: 'site-a', since: expect.any(Number), ready: true, epsilonSpent: 1.25 }]);
    expect(status.privacy).toEqual([
      { site: 'site-a', epsilonSpent: 1.25, reportedAt: expect.any(Number) },
      { site: 'site-z', epsilonSpent: null, reportedAt: null },
    ]);
    expect(await metric(c!, 'cohort_site_epsilon_spent', 'site="site-a"')).toBe(1.25);
    expect(await metric(c!, 'cohort_site_epsilon_spent', 'site="site-z"')).toBeUndefined();
    const lines = statusLines(status);
    expect(lines).toContain('connected sites: 1 (site-a ε=1.2500)');
    expect(lines).toContain('  site-z: not reported');
    expect(lines.some((l) => /^ {2}site-a: ε=1\.2500 \(reported /.test(l))).toBe(true);
    const sitesList = await api(c!, '/api/sites', { token });
    expect(sitesList.json.find((s: { name: string }) => s.name === 'site-a')).toMatchObject({ epsilonSpent: 1.25, ready: true });

    // A later report replaces the earlier one; a status without ε leaves it as it was.
    a.status({ ready: true, epsilonSpent: 2.5 });
    a.status({ ready: true });
    await waitUntil(async () => ((await metric(c!, 'cohort_site_epsilon_spent', 'site="site-a"')) === 2.5 ? true : undefined), 'second report');

    a.close();
    await c!.close();
    c = await startTest(dataDir);
    const after = await api(c, '/api/status', { token });
    expect(after.json.connectedSites).toEqual([]);
    expect(after.json.privacy[0]).toEqual({ site: 'site-a', epsilonSpent: 2.5, reportedAt: expect.any(Number) });
    expect(await metric(c, 'cohort_site_epsilon_spent', 'site="site-a"')).toBe(2.5);
  });

  it('carries the task\'s DP settings in every signed train round/start', async () => {
    const task = await tinyTask({ minSites: 1, privacy: { unit: 'site', clip: 1, noiseMultiplier: 1.5, delta: 1e-6 } });
    const { token } = await federation(task, { 'site-a': {} });
    const started = await api(c!, '/api/runs', { method: 'POST', token, body: { task: 'tiny', rounds: 1 } });
    expect(started.status).toBe(201);
    const a = sites[0]!;
    const starts = await a.until(() => {
      const seen = a.inbox.flatMap((e) => (e.type === 'round/start' ? [e.body] : []));
      return seen.length >= 2 ? seen : undefined;
    }, 'train and evaluate round/starts');
    const [train, evaluate] = starts;
    expect(train!.config).toMatchObject({
      [DP_CONFIG_KEYS.UNIT]: 'site',
      [DP_CONFIG_KEYS.CLIP]: 1,
      [DP_CONFIG_KEYS.NOISE]: 1.5,
      [DP_CONFIG_KEYS.DELTA]: 1e-6,
      [DP_CONFIG_KEYS.ROUNDS]: 1, // the run's rounds, not the task's default
      [DP_CONFIG_KEYS.MIN_SITES]: 1,
    });
    expect(evaluate!.config[DP_CONFIG_KEYS.UNIT]).toBeUndefined();
  });

  it('does not select a site that reported ready:false for the next round', async () => {
    const task = await tinyTask({ minSites: 1 });
    // site-b runs out of budget after round 1: it says so before answering round 1's evaluation.
    const exhausts: Behavior = {
      before: (start, site) => {
        if (start.round === 1 && start.phase === 'evaluate') site.status({ ready: false, epsilonSpent: 3 });
      },
    };
    const { token } = await federation(task, { 'site-a': {}, 'site-b': exhausts });
    const started = await api(c!, '/api/runs', { method: 'POST', token, body: { task: 'tiny', rounds: 2 } });
    const report = await waitUntil(async () => {
      const r = await api(c!, `/api/runs/${started.json.id}`, { token });
      return r.json.run.status === 'completed' ? r.json : undefined;
    }, 'run completion', 20_000);
    expect(report.rounds.map((r: { trained: string[] }) => r.trained)).toEqual([['site-a', 'site-b'], ['site-a']]);
    const b = sites.find((s) => s.name === 'site-b')!;
    expect(b.starts.filter((s) => s.round === 2)).toEqual([]);
    const status = await api(c!, '/api/status', { token });
    expect(status.json.connectedSites.find((s: { site: string }) => s.site === 'site-b')).toMatchObject({ ready: false, epsilonSpent: 3 });
    expect(statusLines(status.json)).toContain('connected sites: 2 (site-a, site-b (not ready) ε=3)');
  });
});

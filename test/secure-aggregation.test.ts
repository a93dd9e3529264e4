// Secure aggregation over real processes: three `cohort-site` agents and in-test
// sites that run the honest protocol until they vanish (socket closed, as if
// killed) at a chosen secure aggregation step. The round completes with the
// survivors while the threshold holds, and aborts cleanly, then retries with
// fresh keys, when it does not.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { parseMembershipFile } from '@cohortfl/protocol';
import { encodePublicKey, generateIdentity } from '@cohortfl/identity';
import { adminToken, api, cli, COORDINATOR_CLI, createFixture, parseMetrics, pointSitesAt, startCoordinator, startSite, waitUntil, type Fixture, type Running } from './support/consortium.js';
import { ScriptedSite } from './support/rogue.js';

const procs: Running[] = [];
const scripted: ScriptedSite[] = [];
let fixture: Fixture | undefined;

afterEach(async () => {
  for (const s of scripted.splice(0)) s.rogue.close();
  for (const p of procs.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  if (fixture && !process.env.COHORTFL_KEEP_TEST_DIRS) rmSync(fixture.dir, { recursive: true, force: true });
  fixture = undefined;
});

type RunDetail = { rounds: { round: number; attempt: number; trained: string[]; failures: { site: string; reason: string }[] }[] };

async function consortium(threshold: number | undefined, doomed: { site: string; dieAt: 'keys' | 'shares' | 'masked' | 'attest' | 'reveal' }[]) {
  // The doomed sites are consortium members like the others: enrolled before the membership file is made.
  const identities = new Map(doomed.map((d) => [d.site, generateIdentity()]));
  const extraMembers = doomed.map((d) => ({ name: d.site, publicKey: encodePublicKey(identities.get(d.site)!.publicKey) }));
  fixture = await createFixture({ rounds: 1, timeouts: { train: 20, evaluate: 20 }, retryDelayMs: 300, secureThreshold: threshold, extraMembers, extraConfig: { timeouts: { train: 20, evaluate: 20, secagg: 3 } } });
  const membership = parseMembershipFile(readFileSync(fixture.consortiumPath, 'utf8'));
  const coordinator = await startCoordinator(fixture);
  procs.push(coordinator.proc);
  pointSitesAt(fixture, coordinator.url);
  procs.push(...(await Promise.all(fixture.sites.map((s) => startSite(fixture!, s.name)))));
  for (const d of doomed) {
    const identity = identities.get(d.site)!;
    const site = new ScriptedSite({ url: coordinator.url, site: d.site, identity, taskHash: fixture.taskHash, membership, dieAt: d.dieAt });
    scripted.push(site);
    expect(await site.rogue.connect()).toEqual({ welcomed: true });
  }
  const token = adminToken(fixture);
  const total = fixture.sites.length + doomed.length;
  await waitUntil(async () => (await api(coordinator.url, token, '/api/status')).connectedSites.length === total, 20_000, `${total} sites connected`);
  const run = await api<{ id: number }>(coordinator.url, token, '/api/runs', { method: 'POST', body: JSON.stringify({ task: 'cad-mini', rounds: 1 }) });
  await waitUntil(async () => (await api(coordinator.url, token, '/api/status')).run?.status === 'completed', 90_000, 'run completed');
  const detail = await api<RunDetail>(coordinator.url, token, `/api/runs/${run.id}`);
  const metrics = parseMetrics(await (await fetch(`${coordinator.url}/metrics`)).text());
  return { detail, metrics, url: coordinator.url, token, runId: run.id };
}

describe('secure aggregation across processes', () => {
  for (const step of ['keys', 'shares', 'masked', 'attest', 'reveal'] as const) {
    it(`completes the round when a site is killed in the ${step} step`, async () => {
      const { detail } = await consortium(undefined, [{ site: 'doomed', dieAt: step }]);
      const round = detail.rounds[0]!;
      expect(round.attempt).toBe(1);
      // A site that sent its masked input is in the sum even if it vanishes while unmasking.
      const inSum = step === 'reveal' || step === 'attest';
      const expected = inSum ? ['alpha', 'beta', 'doomed', 'gamma'] : ['alpha', 'beta', 'gamma'];
      expect([...round.trained].sort()).toEqual(expected);
      if (!inSum) expect(round.failures.map((f) => f.site)).toContain('doomed');
    }, 120_000);
  }

  it('aborts cleanly when too many sites vanish, then completes a fresh attempt without them', async () => {
    // 5 sites with a threshold of 80% (4, which tolerates one colluder: 8 > 5 + 1): losing two in the masked step leaves 3 < 4.
    const { detail, metrics } = await consortium(0.8, [{ site: 'doomed-1', dieAt: 'masked' }, { site: 'doomed-2', dieAt: 'masked' }]);
    const round = detail.rounds[0]!;
    expect(round.attempt).toBeGreaterThanOrEqual(2);
    expect([...round.trained].sort()).toEqual(['alpha', 'beta', 'gamma']);
    expect(metrics.get('cohort_rounds_total{outcome="failed"}')).toBeGreaterThanOrEqual(1);
  }, 150_000);
});

// Issue 12, finding 7: a refused secure aggregation message must not use up the site's
// answer. A site sends a masked vector of the wrong length, then its correct one, in the
// same step: the coordinator refuses the first before its replay guard records it, takes
// the second, and the round completes with that site in the sum.
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { encodePublicKey, generateIdentity } from '@cohortfl/identity';
import { parseMembershipFile } from '@cohortfl/protocol';
import type { SiteMessage } from '@cohortfl/wire';
import { adminToken, api, createFixture, parseMetrics, pointSitesAt, startCoordinator, startSite, waitUntil, type Fixture, type Running } from './support/consortium.js';
import { ScriptedSite } from './support/rogue.js';

const procs: Running[] = [];
let scripted: ScriptedSite | undefined;
let fixture: Fixture | undefined;

afterAll(async () => {
  scripted?.rogue.close();
  for (const p of procs.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  if (fixture && !process.env.COHORTFL_KEEP_TEST_DIRS) rmSync(fixture.dir, { recursive: true, force: true });
});

type RunDetail = { rounds: { round: number; attempt: number; trained: string[]; failures: { site: string; reason: string }[] }[] };

describe('a refused secure aggregation body', () => {
  it('leaves the site free to send its correct masked vector in the same step', async () => {
    const identity = generateIdentity();
    fixture = await createFixture({
      rounds: 1,
      timeouts: { train: 20, evaluate: 20 },
      retryDelayMs: 300,
      extraMembers: [{ name: 'flawed', publicKey: encodePublicKey(identity.publicKey) }],
      extraConfig: { timeouts: { train: 20, evaluate: 20, secagg: 5 } },
    });
    const membership = parseMembershipFile(readFileSync(fixture.consortiumPath, 'utf8'));
    const coordinator = await startCoordinator(fixture);
    procs.push(coordinator.proc);
    pointSitesAt(fixture, coordinator.url);
    procs.push(...(await Promise.all(fixture.sites.map((s) => startSite(fixture!, s.name)))));
    let wrongSent = 0;
    const replies = (reply: SiteMessage): SiteMessage[] => {
      if (reply.type !== 'secagg/masked') return [reply];
      wrongSent += 1;
      // First a vector one element short (signed by the site like any other), then the right one.
      return [{ ...reply, masked: reply.masked.slice(0, reply.masked.length - 1) }, reply];
    };
    scripted = new ScriptedSite({ url: coordinator.url, site: 'flawed', identity, taskHash: fixture.taskHash, membership, replies });
    expect(await scripted.rogue.connect()).toEqual({ welcomed: true });
    const token = adminToken(fixture);
    const total = fixture.sites.length + 1;
    await waitUntil(async () => (await api(coordinator.url, token, '/api/status')).connectedSites.length === total, 20_000, `${total} sites connected`);
    const run = await api<{ id: number }>(coordinator.url, token, '/api/runs', { method: 'POST', body: JSON.stringify({ task: 'cad-mini', rounds: 1 }) });
    await waitUntil(async () => (await api(coordinator.url, token, '/api/status')).run?.status === 'completed', 90_000, 'run completed');
    const detail = await api<RunDetail>(coordinator.url, token, `/api/runs/${run.id}`);
    const round = detail.rounds[0]!;
    expect(wrongSent).toBe(1);
    // The wrong vector was refused (shape, before the replay guard)…
    expect(scripted.rogue.errors.some((e) => /length/.test(e.message))).toBe(true);
    expect(scripted.rogue.errors.some((e) => e.code === 'REPLAYED')).toBe(false);
    // …and the right one counted: same attempt, the site in the sum, no failure.
    expect(round.attempt).toBe(1);
    expect([...round.trained].sort()).toEqual(['alpha', 'beta', 'flawed', 'gamma']);
    expect(round.failures.map((f) => f.site)).not.toContain('flawed');
    const metrics = parseMetrics(await (await fetch(`${coordinator.url}/metrics`)).text());
    expect(metrics.get('cohort_messages_rejected_total{reason="duplicate"}') ?? 0).toBe(0);
  }, 150_000);
});

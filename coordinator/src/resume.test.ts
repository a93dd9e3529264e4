import { afterEach, describe, expect, it } from 'vitest';
import { decodePublicKey, encodePublicKey, generateIdentity } from '@cohortfl/identity';
import type { RunningCoordinator } from './coordinator.js';
import { FakeSite, type Behavior } from './fake-site.test-suite.js';
import { adminToken, api, enroll, makeDataDir, publish, removeDataDirs, startTest, tinyTask, waitUntil, withStore } from './fixtures.test-suite.js';

let running: RunningCoordinator[] = [];
let sites: FakeSite[] = [];

afterEach(async () => {
  for (const s of sites) s.close();
  sites = [];
  for (const c of running) await c.close();
  running = [];
  removeDataDirs();
});

async function start(dataDir: string): Promise<RunningCoordinator> {
  const c = await startTest(dataDir, { retryDelayMs: 50 });
  running.push(c);
  return c;
}

async function join(c: RunningCoordinator, names: Map<string, ReturnType<typeof generateIdentity>>, behavior: Behavior): Promise<FakeSite[]> {
  const joined: FakeSite[] = [];
  for (const [name, identity] of names) {
    const s = new FakeSite(c.url, name, identity);
    sites.push(s);
    joined.push(s);
    await s.join(decodePublicKey(c.publicKey), behavior);
  }
  return joined;
}

describe('resume after a crash', () => {
  it('continues at the interrupted round with attempt nextAttempt; stored rounds never change', async () => {
    const dataDir = await makeDataDir();
    publish(dataDir, await tinyTask());
    const names = new Map([['site-a', generateIdentity()], ['site-b', generateIdentity()]]);
    for (const [name, identity] of names) enroll(dataDir, name, encodePublicKey(identity.publicKey));
    const token = adminToken(dataDir);

    // First life: round 1 completes, round 2 is started but never answered.
    const first = await start(dataDir);
    await join(first, names, { before: (s) => (s.round >= 2 ? 'silent' : undefined) });
    const created = await api(first, '/api/runs', { method: 'POST', token, body: { task: 'tiny', rounds: 3 } });
    const runId: number = created.json.id;
    await waitUntil(async () => {
      const s = (await api(first, '/api/status', { token })).json;
      return s.round === 2 && s.phase === 'train' ? true : undefined;
    }, 'round 2 in progress');
    const before = withStore(dataDir, (store) => store.rawRoundRows(runId));
    const checkpoint1 = withStore(dataDir, (store) => store.getCheckpoint(runId, 1)!);
    expect(before.rounds.map((r) => r.round)).toEqual([1]);

    // Abrupt stop: the run is not finished, round 2 attempt 1 stays 'started'.
    await first.close();
    running = running.filter((c) => c !== first);
    for (const s of sites.splice(0)) s.close();
    withStore(dataDir, (store) => {
      expect(store.getRun(runId)!.status).toBe('running');
      expect(store.listAttempts(runId).map((a) => [a.round, a.attempt, a.status])).toEqual([[1, 1, 'completed'], [2, 1, 'started']]);
      expect(store.nextAttempt(runId, 2)).toBe(2);
    });

    // Second life on the same data directory.
    const second = await start(dataDir);
    const status = (await api(second, '/api/status', { token })).json;
    expect(status).toMatchObject({ run: { id: runId, status: 'running' }, round: 2, attempt: 2, phase: 'idle', lastRound: { round: 1 } });
    const rejoined = await join(second, names, {});
    const done = await waitUntil(async () => {
      const r = (await api(second, `/api/runs/${runId}`, { token })).json;
      return r.run.status === 'completed' ? r : undefined;
    }, 'resumed run completion');

    expect(done.rounds.map((r: { round: number; attempt: number }) => [r.round, r.attempt])).toEqual([[1, 1], [2, 2], [3, 1]]);
    expect(done.attempts).toContainEqual(expect.objectContaining({ round: 2, attempt: 1, status: 'failed', code: 'INTERRUPTED' }));
    for (const s of rejoined) {
      expect(s.starts[0]).toMatchObject({ round: 2, attempt: 2, phase: 'train' });
      expect(s.starts[0]!.weights).toEqual(checkpoint1.weights); // resumed from round 1's checkpoint
    }
    const after = withStore(dataDir, (store) => store.rawRoundRows(runId));
    const round1 = <T extends { round: number }>(rows: T[]) => rows.filter((r) => r.round === 1);
    expect(round1(after.rounds)).toEqual(before.rounds);
    expect(round1(after.checkpoints)).toEqual(before.checkpoints);
    expect(round1(after.participants)).toEqual(before.participants);
    expect(round1(after.siteMetrics)).toEqual(before.siteMetrics);
  });
});

describe('failed attempts', () => {
  it('a site lost mid-round fails the attempt at once; it is stored as failed and retried after retryDelayMs', async () => {
    const dataDir = await makeDataDir();
    publish(dataDir, await tinyTask());
    const names = new Map([['site-a', generateIdentity()], ['site-b', generateIdentity()]]);
    for (const [name, identity] of names) enroll(dataDir, name, encodePublicKey(identity.publicKey));
    const token = adminToken(dataDir);
    // Long deadlines: only the disconnect can end the first attempt quickly.
    const c = await startTest(dataDir, { retryDelayMs: 50, timeouts: { train: 60, evaluate: 60 } });
    running.push(c);
    let dropped = false;
    const [, b] = await join(c, names, {
      before: (start, site) => {
        if (site.name !== 'site-b' || dropped) return;
        dropped = true;
        site.close();
        return 'silent';
      },
    });
    await api(c, '/api/runs', { method: 'POST', token, body: { task: 'tiny', rounds: 1 } });
    await b!.waitDisconnect();
    // site-b comes back with a new connection and answers.
    const back = new FakeSite(c.url, 'site-b', names.get('site-b'));
    sites.push(back);
    await back.join(decodePublicKey(c.publicKey), {});
    const done = await waitUntil(async () => {
      const r = (await api(c, '/api/runs/1', { token })).json;
      return r.run.status === 'completed' ? r : undefined;
    }, 'run completion');
    expect(done.attempts[0]).toMatchObject({ round: 1, attempt: 1, status: 'failed', code: 'TOO_FEW_RESULTS' });
    expect(done.rounds.map((r: { attempt: number; trained: string[] }) => [r.attempt, r.trained])).toEqual([[2, ['site-a', 'site-b']]]);
  });
});

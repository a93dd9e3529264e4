import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import type { DashboardSnapshot } from '@cohortfl/dashboard';
import { decodePublicKey, encodePublicKey, generateIdentity } from '@cohortfl/identity';
import { msgpackrParser } from '@cohortfl/wire';
import { viewerTokenOf } from '../admin-auth.js';
import { runCli } from '../cli-app.js';
import type { RunningCoordinator } from '../coordinator.js';
import { dataPaths } from '../data-dir.js';
import { FakeSite } from '../fake-site.test-suite.js';
import { adminToken, api, enroll, makeDataDir, publish, removeDataDirs, startTest, tinyTask, waitUntil, withStore } from '../fixtures.test-suite.js';

let c: RunningCoordinator | undefined;
let sites: FakeSite[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets) s.close();
  sockets.length = 0;
  for (const s of sites) s.close();
  sites = [];
  await c?.close();
  c = undefined;
  removeDataDirs();
});

/** A coordinator with the tiny task and two fake sites; `silent` sites never answer. */
async function federation(silent: string[] = []) {
  const dataDir = await makeDataDir();
  publish(dataDir, await tinyTask());
  const names = ['site-a', 'site-b'];
  const identities = names.map((name) => ({ name, identity: generateIdentity() }));
  for (const { name, identity } of identities) enroll(dataDir, name, encodePublicKey(identity.publicKey));
  c = await startTest(dataDir);
  const key = decodePublicKey(c.publicKey);
  for (const { name, identity } of identities) {
    const site = new FakeSite(c.url, name, identity);
    sites.push(site);
    await site.join(key, silent.includes(name) ? { before: () => 'silent' } : { delta: 0.01 });
  }
  return { dataDir, admin: adminToken(dataDir), viewer: readFileSync(dataPaths(dataDir).viewerToken, 'utf8').trim() };
}

/** A dashboard browser's socket: resolves with it and its snapshots, or rejects with the connect error. */
function watch(token: string): Promise<{ socket: Socket; snapshots: DashboardSnapshot[] }> {
  const socket = io(`${c!.url}/dashboard`, { parser: msgpackrParser, transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
  sockets.push(socket);
  const snapshots: DashboardSnapshot[] = [];
  socket.on('snapshot', (s: DashboardSnapshot) => snapshots.push(s));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ socket, snapshots }));
    socket.once('connect_error', (error) => reject(error));
  });
}

describe('dashboard access', () => {
  it('the viewer token reads but cannot start or stop runs; the admin token can', async () => {
    const { admin, viewer } = await federation();
    expect(viewer).toBe(viewerTokenOf(admin));
    expect((await api(c!, '/api/status', { token: viewer })).status).toBe(200);
    const refused = await api(c!, '/api/runs', { method: 'POST', token: viewer, body: { task: 'tiny' } });
    expect(refused.status).toBe(403);
    expect(refused.json.message).toMatch(/read-only/);
    expect((await api(c!, '/api/runs/1/stop', { method: 'POST', token: viewer })).status).toBe(403);
    // A forged viewer-looking token is not a viewer.
    expect((await api(c!, '/api/status', { token: 'view-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).status).toBe(401);
    expect((await api(c!, '/api/runs', { method: 'POST', token: admin, body: { task: 'tiny', rounds: 1 } })).status).toBe(201);
  });

  it('refuses a dashboard socket without the right token, and tells each socket its role', async () => {
    const { admin, viewer } = await federation();
    await expect(watch('wrong')).rejects.toThrow('unauthorized');
    await expect(watch('')).rejects.toThrow('unauthorized');
    const asViewer = await watch(viewer);
    const asOperator = await watch(admin);
    const first = await waitUntil(() => asViewer.snapshots[0], 'viewer snapshot');
    expect(first.role).toBe('viewer');
    expect((await waitUntil(() => asOperator.snapshots[0], 'operator snapshot')).role).toBe('operator');
    expect(first.sites.map((s) => [s.name, s.connected, s.ready])).toEqual([
      ['site-a', true, true],
      ['site-b', true, true],
    ]);
    expect(first.tasks.map((t) => t.name)).toEqual(['tiny']);
    expect(first.run).toBeNull();
  });

  it('serves the page and its two assets only, with a same-origin content policy', async () => {
    await federation();
    const redirect = await fetch(`${c!.url}/dashboard`, { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    const page = await fetch(`${c!.url}/dashboard/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(await page.text()).toMatch(/dashboard\.js/);
    expect((await fetch(`${c!.url}/dashboard/dashboard.js`)).status).toBe(200);
    for (const bad of ['/dashboard/nope.js', '/dashboard/..%2Fcoordinator.key', '/dashboard/web/dashboard.js']) {
      expect((await fetch(`${c!.url}${bad}`)).status).toBe(404);
    }
  });
});

describe('live run view', () => {
  it('streams rounds as they complete: losses, AUC per site, bytes received and timings', async () => {
    const { admin } = await federation();
    const view = await watch(admin);
    const started = await api(c!, '/api/runs', { method: 'POST', token: admin, body: { task: 'tiny', rounds: 2 } });
    expect(started.status).toBe(201);
    const done = await waitUntil(() => view.snapshots.find((s) => s.run?.status === 'completed'), 'completed snapshot', 20_000);
    // Pushed over the open socket: the snapshot on connect had no run. (How many arrive in
    // between depends on timing; the straggler test below looks at a run in progress.)
    expect(view.snapshots[0]!.run).toBeNull();
    expect(done.run).toMatchObject({ id: started.json.id, task: 'tiny', rounds: 2, round: 2, phase: 'done', stragglers: [] });
    expect(done.series.rounds.map((r) => r.round)).toEqual([1, 2]);
    for (const r of done.series.rounds) {
      expect(r.trained).toEqual(['site-a', 'site-b']);
      expect(Object.keys(r.siteAuc).sort()).toEqual(['site-a', 'site-b']);
      expect(r.bytesReceived).toBeGreaterThan(0);
      expect(r.finishedAt).toBeGreaterThanOrEqual(r.startedAt);
      expect(r.trainLoss).not.toBeNull();
    }
  });

  it('shows the straggler of an open phase, and the operator stops the run', async () => {
    const { dataDir, admin } = await federation(['site-b']);
    const view = await watch(admin);
    const started = await api(c!, '/api/runs', { method: 'POST', token: admin, body: { task: 'tiny', rounds: 3 } });
    const waiting = await waitUntil(
      () => view.snapshots.find((s) => s.run?.phase === 'train' && s.run.answered.includes('site-a')),
      'a snapshot with site-a answered',
      15_000,
    );
    expect(waiting.run!.stragglers).toEqual(['site-b']);
    expect(waiting.run!.deadlineAt).toBeGreaterThan(waiting.at);

    const stopped = await api(c!, `/api/runs/${started.json.id}/stop`, { method: 'POST', token: admin });
    expect(stopped.status).toBe(200);
    expect(stopped.json).toMatchObject({ id: started.json.id, status: 'aborted', message: 'stopped by the operator' });
    const after = await waitUntil(() => view.snapshots.find((s) => s.run?.status === 'aborted'), 'aborted snapshot');
    expect(after.run!.message).toBe('stopped by the operator');
    // Stopping twice, or a run that does not exist, is a clear error.
    expect((await api(c!, `/api/runs/${started.json.id}/stop`, { method: 'POST', token: admin })).status).toBe(409);
    expect((await api(c!, '/api/runs/99/stop', { method: 'POST', token: admin })).status).toBe(404);
    // The open attempt failed as STOPPED, and the stop is in the audit log.
    withStore(dataDir, (store) => {
      expect(store.listAttempts(started.json.id).at(-1)).toMatchObject({ status: 'failed', code: 'STOPPED' });
      expect(store.listAudit().some((e) => e.kind === 'run.stopped')).toBe(true);
    });
    // A new run can start after the stop.
    expect((await api(c!, '/api/runs', { method: 'POST', token: admin, body: { task: 'tiny', rounds: 1 } })).status).toBe(201);
  });
});

describe('cohort-coordinator report --html and rounds stop', () => {
  it('writes a self-contained HTML report of a stored run', async () => {
    const { dataDir, admin } = await federation();
    const started = await api(c!, '/api/runs', { method: 'POST', token: admin, body: { task: 'tiny', rounds: 2 } });
    await waitUntil(async () => ((await api(c!, `/api/runs/${started.json.id}`, { token: admin })).json.run.status === 'completed' ? true : undefined), 'run end', 20_000);
    const out = join(dataDir, 'report.html');
    const lines: string[] = [];
    const code = await runCli(['report', '--data-dir', dataDir, '--html', out], { out: (l) => lines.push(l), err: (l) => lines.push(l), env: {} });
    expect(code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('cohort-report-data');
    expect(html).not.toMatch(/(src|href)="https?:/);
    const data = JSON.parse(/<script type="application\/json" id="cohort-report-data">([\s\S]*?)<\/script>/.exec(html)![1]!);
    expect(data.series.rounds).toHaveLength(2);
    expect(data.title).toMatch(/Run 1: tiny/);
  });

  it('rounds stop stops the running run, and says so when none runs', async () => {
    const { dataDir, admin } = await federation(['site-b']);
    const env = { COHORT_ADMIN_TOKEN: admin };
    const lines: string[] = [];
    const io2 = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l), env };
    expect(await runCli(['rounds', 'stop', '--data-dir', dataDir], io2)).not.toBe(0);
    expect(lines.join('\n')).toMatch(/no run is running/);
    await api(c!, '/api/runs', { method: 'POST', token: admin, body: { task: 'tiny', rounds: 2 } });
    expect(await runCli(['rounds', 'stop', '--data-dir', dataDir], io2)).toBe(0);
    expect(lines.at(-1)).toMatch(/stopped run 1: aborted/);
  });
});

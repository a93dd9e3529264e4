import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePublicKey, generateIdentity } from '@cohortfl/identity';
import { runCli } from './cli-app.js';
import type { RunningCoordinator } from './coordinator.js';
import { dataPaths } from './data-dir.js';
import { adminToken, api, makeDataDir, removeDataDirs, startTest, tinyTask } from './fixtures.test-suite.js';

let dataDir: string;
let c: RunningCoordinator;
let token: string;

function cli(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env }).then((code) => ({ code, out, err }));
}

beforeAll(async () => {
  dataDir = await makeDataDir();
  c = await startTest(dataDir);
  token = adminToken(dataDir);
});

afterAll(async () => {
  await c?.close();
  removeDataDirs();
});

describe('admin API', () => {
  it('refuses a missing, malformed or wrong token with 401 and accepts the right one', async () => {
    for (const t of [undefined, '', 'wrong-token', `${token}x`]) {
      const r = await api(c, '/api/status', t === undefined ? {} : { token: t });
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ code: 'UNAUTHORIZED', message: expect.any(String) });
    }
    const ok = await api(c, '/api/status', { token });
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ run: null, round: null, attempt: null, phase: 'idle', cohort: [], answered: 0, connectedSites: [], privacy: [], lastRound: null });
    // A cached verdict does not let a wrong token in afterwards.
    expect((await api(c, '/api/sites', { token: 'wrong-token' })).status).toBe(401);
  });

  it('answers bad requests with JSON {code, message} and 4xx', async () => {
    const badBody = await api(c, '/api/runs', { method: 'POST', token, body: { task: 'tiny', rounds: 0 } });
    expect(badBody.status).toBe(400);
    expect(badBody.json.code).toBe('CONFIG_INVALID');
    const extraKey = await api(c, '/api/runs', { method: 'POST', token, body: { task: 'tiny', round: 2 } });
    expect(extraKey.status).toBe(400);
    const unknownTask = await api(c, '/api/runs', { method: 'POST', token, body: { task: 'nope' } });
    expect(unknownTask).toEqual({ status: 404, json: { code: 'NOT_FOUND', message: expect.stringMatching(/nope/) } });
    expect((await api(c, '/api/runs/999', { token })).status).toBe(404);
    expect((await api(c, '/api/nothing', { token })).status).toBe(404);
  });

  it('serves /healthz and Prometheus text on /metrics without a token', async () => {
    expect((await api(c, '/healthz')).json).toEqual({ ok: true });
    const res = await fetch(`${c.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    for (const name of [
      'cohort_rounds_total',
      'cohort_round_duration_seconds',
      'cohort_phase_duration_seconds',
      'cohort_connected_sites',
      'cohort_update_bytes_total',
      'cohort_messages_rejected_total',
      'cohort_current_round',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('cohort_messages_rejected_total{reason="bad_signature"} 0');
    expect(text).toContain('cohort_rounds_total{outcome="completed"} 0');
    // The process's own gauges, for spotting growth over a long run (pnpm bench soak reads them).
    expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
    expect(text).toMatch(/^process_open_fds \d+$/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d+$/m);
    expect(text).toMatch(/^nodejs_active_resources\{type="TCPServerWrap"\} \d+$/m);
  });
});

describe('operator CLI against the store and the running server', () => {
  it('sites add | list | revoke', async () => {
    const key = encodePublicKey(generateIdentity().publicKey);
    const add = await cli(['sites', 'add', 'northgate', '--public-key', key, '--data-dir', dataDir]);
    expect(add.code).toBe(0);
    expect(add.out[0]).toMatch(/^enrolled site northgate \(fingerprint [0-9a-f:]{19}\)$/);
    expect((await cli(['sites', 'add', 'other', '--public-key', key, '--data-dir', dataDir])).code).toBe(2); // same key twice
    const list = await cli(['sites', 'list', '--json', '--data-dir', dataDir]);
    expect(JSON.parse(list.out.join('\n'))).toEqual([expect.objectContaining({ name: 'northgate', publicKey: key, status: 'active' })]);
    const revoke = await cli(['sites', 'revoke', 'northgate', '--reason', 'left the consortium', '--data-dir', dataDir]);
    expect(revoke.out).toEqual(['revoked site northgate']);
    expect((await cli(['sites', 'revoke', 'ghost', '--data-dir', dataDir])).code).toBe(14); // NOT_FOUND
    const sites = await api(c, '/api/sites', { token });
    expect(sites.json).toEqual([expect.objectContaining({ name: 'northgate', status: 'revoked', connected: false })]);
  });

  it('tasks publish (manifest JSON), then rounds start and status over HTTP with the data dir or --url/--token', async () => {
    const built = await tinyTask({ name: 'cli-task' });
    const file = join(dataPaths(dataDir).dir, '..', 'cli-task.json');
    writeFileSync(file, built.json);
    const publish = await cli(['tasks', 'publish', file, '--data-dir', dataDir]);
    expect(publish.out).toEqual([`published task cli-task 1.0.0: ${built.hash}`]);
    const bad = join(dataPaths(dataDir).dir, '..', 'bad-task.json');
    writeFileSync(bad, built.json.replace('"minSites":2', '"minSites":0'));
    expect((await cli(['tasks', 'publish', bad, '--data-dir', dataDir])).code).toBe(4); // TASK_INVALID
    // A JS module exporting `task` (what an ML engineer writes), published the same way.
    const module = join(dataPaths(dataDir).dir, '..', 'js-task.mjs');
    writeFileSync(module, [
      "import { defineTask, mlp } from '@cohortfl/sdk';",
      `const manifest = ${JSON.stringify(JSON.parse(built.json))};`,
      "export const task = defineTask({ ...manifest.task, name: 'js-task', model: ({ inputDim }) => mlp({ inputDim, hidden: [] }) });",
    ].join('\n'));
    const fromModule = await cli(['tasks', 'publish', module, '--data-dir', dataDir]);
    expect(fromModule.code).toBe(0);
    expect(fromModule.out[0]).toMatch(/^published task js-task 1\.0\.0: [0-9a-f]{64}$/);
    const tasks = await api(c, '/api/tasks', { token });
    expect(tasks.json.map((t: { name: string }) => t.name)).toEqual(['cli-task', 'js-task']);
    expect(tasks.json.map((t: { hash: string }) => t.hash)).toContain(built.hash);
    expect(tasks.json[0]).not.toHaveProperty('manifestJson');

    const start = await cli(['rounds', 'start', '--task', 'cli-task', '--rounds', '1', '--data-dir', dataDir]);
    expect(start.code).toBe(0);
    expect(start.out).toEqual([`started run 1: task cli-task (${built.hash}), 1 rounds`]);
    const again = await cli(['rounds', 'start', '--task', 'cli-task', '--url', c.url, '--token', token]);
    expect(again.code).toBe(2); // one run at a time (HTTP 409)
    expect(again.err.join('\n')).toMatch(/still running/);

    const status = await cli(['status', '--json'], { COHORT_COORDINATOR_URL: c.url, COHORT_ADMIN_TOKEN: token });
    expect(JSON.parse(status.out.join('\n'))).toMatchObject({
      run: { id: 1, task: 'cli-task', taskHash: built.hash, rounds: 1, status: 'running' },
      round: 1,
      attempt: 1,
      phase: 'idle',
      connectedSites: [],
    });
    const text = await cli(['status', '--data-dir', dataDir]);
    expect(text.out).toEqual([`run 1: task cli-task (${built.hash.slice(0, 12)}), 1 rounds, running`, 'round 1 of 1, attempt 1, phase idle', 'connected sites: 0']);
    const denied = await cli(['status', '--url', c.url, '--token', 'nope']);
    expect(denied.code).toBe(15); // UNAUTHORIZED
  });
});

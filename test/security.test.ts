// Refusals at a real coordinator process, while real site agents keep the run going:
// every bad message is refused with its reason, counted in /metrics, answered with
// an error, and the round completes with the honest sites.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { generateIdentity, type Identity } from '@cohortfl/identity';
import { createEnvelope, type RoundStart } from '@cohortfl/wire';
import { adminToken, api, cli, COORDINATOR_CLI, createFixture, parseMetrics, pointSitesAt, startCoordinator, startSite, waitUntil, type Fixture, type Running } from './support/consortium.js';
import { RogueSite } from './support/rogue.js';
import { encodePublicKey } from '@cohortfl/identity';

let fixture: Fixture;
let url: string;
let token: string;
const procs: Running[] = [];
let mallory: RogueSite;
let malloryKey: Identity;

const rejected = async (reason: string) => parseMetrics(await (await fetch(`${url}/metrics`)).text()).get(`cohort_messages_rejected_total{reason="${reason}"}`) ?? 0;

beforeAll(async () => {
  // Plaintext updates: these refusals are about update/submit; secure rounds are in secure-aggregation.test.ts.
  fixture = await createFixture({ secure: false, rounds: 2, timeouts: { train: 20, evaluate: 20 }, extraConfig: { limits: { maxMessageBytes: 1_048_576, chunkBytes: 262_144 } } });
  const coordinator = await startCoordinator(fixture);
  procs.push(coordinator.proc);
  url = coordinator.url;
  token = adminToken(fixture);
  pointSitesAt(fixture, url);
  malloryKey = generateIdentity();
  cli(COORDINATOR_CLI, ['sites', 'add', 'mallory', '--public-key', encodePublicKey(malloryKey.publicKey), '--data-dir', fixture.coordDir]);
  procs.push(await startSite(fixture, 'alpha'), await startSite(fixture, 'beta'));
  mallory = new RogueSite({ url, site: 'mallory', identity: malloryKey });
  expect(await mallory.connect()).toEqual({ welcomed: true });
}, 120_000);

afterAll(async () => {
  mallory?.close();
  for (const p of procs) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  rmSync(fixture.dir, { recursive: true, force: true });
});

describe('refusals at a real coordinator', () => {
  it('refuses an unenrolled key, a wrong protocol version and a revoked site at connect', async () => {
    const stranger = new RogueSite({ url, site: 'stranger', identity: generateIdentity() });
    expect(await stranger.connect()).toMatchObject({ welcomed: false, code: 'UNAUTHORIZED' });
    stranger.close();
    expect(await rejected('unknown_key')).toBeGreaterThanOrEqual(1);

    const old = new RogueSite({ url, site: 'mallory', identity: malloryKey, version: '9.0' });
    expect(await old.connect()).toMatchObject({ welcomed: false, code: 'MESSAGE_INVALID' });
    old.close();
    expect(await rejected('version')).toBeGreaterThanOrEqual(1);

    const eveKey = generateIdentity();
    cli(COORDINATOR_CLI, ['sites', 'add', 'eve', '--public-key', encodePublicKey(eveKey.publicKey), '--data-dir', fixture.coordDir]);
    cli(COORDINATOR_CLI, ['sites', 'revoke', 'eve', '--data-dir', fixture.coordDir]);
    const eve = new RogueSite({ url, site: 'eve', identity: eveKey });
    expect(await eve.connect()).toMatchObject({ welcomed: false });
    eve.close();
    expect(await rejected('revoked')).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('refuses forged, NaN, oversized, malformed and replayed updates while the run completes', async () => {
    await waitUntil(async () => (await api(url, token, '/api/status')).connectedSites.length >= 3, 20_000, 'three sites');
    const run = await api<{ id: number }>(url, token, '/api/runs', { method: 'POST', body: JSON.stringify({ task: 'cad-mini', rounds: 2 }) });

    const start1: RoundStart = await mallory.nextRoundStart('train');
    const n = start1.weights.length;
    const good1 = mallory.update(start1, new Float32Array(n).fill(0.001));
    let errors = mallory.errors.length;

    mallory.send(mallory.update(start1, new Float32Array(n), generateIdentity().secretKey)); // forged: another key
    const nan = new Float32Array(n);
    nan[0] = Number.NaN;
    mallory.sendUnchecked(mallory.update(start1, nan)); // NaN, correctly signed
    mallory.sendRaw(new Uint8Array(1_100_000)); // over the 1 MiB message limit, under the transport limit
    mallory.sendRaw(new Uint8Array([0xc1, 0xff, 0x00, 0x13])); // not msgpack
    mallory.send(mallory.update(start1, new Float32Array(n + 3))); // wrong shape
    await mallory.waitForErrors(errors + 5);
    expect(mallory.connected).toBe(true);

    mallory.send(good1);
    mallory.send(good1); // the same update twice
    await mallory.waitForErrors(errors + 6);

    const eval1 = await mallory.nextRoundStart('evaluate');
    mallory.send(mallory.evalResult(eval1));
    const start2 = await mallory.nextRoundStart('train', 1);
    errors = mallory.errors.length;
    mallory.send(good1); // a replay of round 1 in round 2
    await mallory.waitForErrors(errors + 1);
    mallory.send(mallory.update(start2, new Float32Array(n).fill(0.001)));
    const eval2 = await mallory.nextRoundStart('evaluate', 1);
    mallory.send(mallory.evalResult(eval2));

    await waitUntil(async () => (await api(url, token, '/api/status')).run?.status === 'completed', 90_000, 'run completed');
    const detail = await api<{ rounds: { trained: string[] }[] }>(url, token, `/api/runs/${run.id}`);
    expect(detail.rounds).toHaveLength(2);
    for (const r of detail.rounds) expect([...r.trained].sort()).toEqual(['alpha', 'beta', 'mallory']);

    for (const reason of ['bad_signature', 'non_finite', 'oversized', 'malformed', 'shape', 'duplicate', 'replayed']) {
      expect(await rejected(reason), reason).toBeGreaterThanOrEqual(1);
    }
    const codes = new Set(mallory.errors.map((e) => e.code));
    for (const code of ['SIGNATURE_INVALID', 'PAYLOAD_TOO_LARGE', 'MESSAGE_INVALID', 'REPLAYED']) expect(codes.has(code), code).toBe(true);
  }, 150_000);

  it('refuses an update that names another site', async () => {
    const fake = createEnvelope('status', { ready: true, seq: 1 });
    mallory.send(fake);
    const start = { type: 'round/start', taskHash: fixture.taskHash, round: 1, attempt: 1, phase: 'train', cohort: [], config: {}, weights: new Float32Array(0) } as RoundStart;
    const env = mallory.update(start, new Float32Array(0));
    const before = mallory.errors.length;
    mallory.send({ ...env, body: { ...(env.body as object), site: 'alpha' } } as never);
    await mallory.waitForErrors(before + 1);
    expect(mallory.errors.at(-1)!.code).toMatch(/UNAUTHORIZED|SIGNATURE_INVALID|MESSAGE_INVALID/);
  }, 30_000);
});

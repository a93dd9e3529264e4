import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodePublicKey, generateIdentity } from '@cohortfl/identity';
import { createEnvelope, PROTOCOL_VERSION } from '@cohortfl/wire';
import type { RunningCoordinator } from './coordinator.js';
import { FakeSite } from './fake-site.test-suite.js';
import { adminToken, api, enroll, makeDataDir, metric, removeDataDirs, startTest, waitUntil, withStore } from './fixtures.test-suite.js';

let dataDir: string;
let c: RunningCoordinator;
const alpha = generateIdentity();
const beta = generateIdentity();
const gone = generateIdentity();
const sites: FakeSite[] = [];

function site(name: string, identity = generateIdentity()): FakeSite {
  const s = new FakeSite(c.url, name, identity);
  sites.push(s);
  return s;
}

const rejected = (reason: string) => metric(c, 'cohort_messages_rejected_total', `reason="${reason}"`);

beforeAll(async () => {
  dataDir = await makeDataDir();
  enroll(dataDir, 'alpha', encode(alpha));
  enroll(dataDir, 'beta', encode(beta));
  enroll(dataDir, 'gone', encode(gone));
  withStore(dataDir, (store) => store.revokeSite('gone', { at: Date.now(), reason: 'test' }));
  c = await startTest(dataDir);
});

const encode = (identity: { publicKey: Uint8Array }) => encodePublicKey(identity.publicKey);

afterEach(() => {
  for (const s of sites.splice(0)) s.close();
});

afterAll(async () => {
  await c?.close();
  removeDataDirs();
});

describe('handshake refusals (error, then the connection closes)', () => {
  it('refuses a key that is not enrolled, and an unknown site name (unknown_key)', async () => {
    const before = (await rejected('unknown_key'))!;
    const impostor = site('alpha'); // right name, wrong key
    const answer = await impostor.handshake();
    expect(answer.type).toBe('error');
    expect(answer.body).toEqual({ code: 'UNAUTHORIZED', message: expect.stringMatching(/not enrolled/) });
    await impostor.waitDisconnect();
    const stranger = site('nobody');
    expect((await stranger.handshake()).type).toBe('error');
    await stranger.waitDisconnect();
    expect(await rejected('unknown_key')).toBe(before + 2);
  });

  it('refuses a revoked site (revoked)', async () => {
    const before = (await rejected('revoked'))!;
    const s = site('gone', gone);
    const answer = await s.handshake();
    expect(answer.body).toEqual({ code: 'UNAUTHORIZED', message: expect.stringMatching(/revoked/) });
    await s.waitDisconnect();
    expect(await rejected('revoked')).toBe(before + 1);
  });

  it('refuses another protocol major version (version)', async () => {
    const before = (await rejected('version'))!;
    const s = site('alpha', alpha);
    const answer = await s.handshake({ protocolVersion: '3.0' });
    expect(answer.type).toBe('error');
    expect(answer.body).toMatchObject({ code: 'MESSAGE_INVALID' });
    await s.waitDisconnect();
    expect(await rejected('version')).toBe(before + 1);
  });

  it('refuses a challenge signed with another key (bad_signature)', async () => {
    const before = (await rejected('bad_signature'))!;
    const s = site('alpha', alpha);
    const answer = await s.handshake({ signWith: generateIdentity() });
    expect(answer.body).toMatchObject({ code: 'SIGNATURE_INVALID' });
    await s.waitDisconnect();
    expect(await rejected('bad_signature')).toBe(before + 1);
  });

  it('refuses anything but hello first (unauthenticated)', async () => {
    const s = site('alpha', alpha);
    s.send(createEnvelope('status', { ready: true, seq: 1 }));
    expect((await s.nextOfType('error')).body.code).toBe('UNAUTHORIZED');
    await s.waitDisconnect();
  });
});

describe('an open session', () => {
  it('welcomes a good handshake with the pinned coordinator key; a malformed frame is refused and the connection stays open', async () => {
    const s = site('alpha', alpha);
    const welcome = await s.handshake();
    expect(welcome).toMatchObject({ type: 'welcome', body: { site: 'alpha', sessionId: expect.stringMatching(/^[A-Za-z0-9_-]+$/) } });
    const challenge = s.inbox.find((e) => e.type === 'challenge')!;
    expect(challenge.type === 'challenge' && challenge.body.coordinatorPublicKey).toBe(c.publicKey);
    // The coordinator proved its key over this site's nonce before the site answered.
    expect(s.proofVerified).toBe(true);

    const before = (await rejected('malformed'))!;
    s.sendBytes(new Uint8Array([0xc1, 0x00, 0x01])); // 0xc1 is never valid msgpack
    const error = await s.nextOfType('error');
    expect(error.body).toEqual({ code: 'MESSAGE_INVALID', message: expect.stringMatching(/malformed msgpack frame/) });
    expect(await rejected('malformed')).toBe(before + 1);

    // Still open: a schema-invalid frame gets its own answer, and status still works.
    s.sendUnchecked({ v: PROTOCOL_VERSION, type: 'status', id: '0'.repeat(32), body: { ready: 'yes', seq: 1 } });
    expect((await s.nextOfType('error')).body.code).toBe('MESSAGE_INVALID');
    expect(s.disconnected).toBe(false);
    s.status({ ready: true });
    const token = adminToken(dataDir);
    const status = await waitUntil(async () => {
      const r = await api(c, '/api/status', { token });
      return r.json.connectedSites[0]?.ready ? r.json : undefined;
    }, 'alpha ready');
    expect(status.connectedSites).toEqual([{ site: 'alpha', since: expect.any(Number), ready: true, epsilonSpent: null }]);
    expect(await metric(c, 'cohort_connected_sites')).toBe(1);
  });

  it('accepts only a status the site signed for this session, with a growing sequence number', async () => {
    const before = (await rejected('bad_signature'))!;
    const replays = (await rejected('replayed'))!;
    const s = site('alpha', alpha);
    expect((await s.handshake()).type).toBe('welcome');
    // Unsigned, as whatever relays a connection could send it in the site's name: refused.
    s.send(createEnvelope('status', { ready: true, epsilonSpent: 0, seq: 1 }));
    expect((await s.nextOfType('error')).body.code).toBe('SIGNATURE_INVALID');
    // Signed by another key: refused.
    s.status({ ready: true, epsilonSpent: 0 }, { signer: generateIdentity() });
    await waitUntil(async () => ((await rejected('bad_signature'))! >= before + 2 ? true : undefined), 'two bad statuses counted');
    // The real one, then a replay of its sequence number.
    s.status({ ready: true, epsilonSpent: 0.5 });
    s.status({ ready: false, epsilonSpent: 0 }, { seq: 1 });
    await waitUntil(async () => ((await rejected('replayed'))! >= replays + 1 ? true : undefined), 'the replayed status counted');
    const token = adminToken(dataDir);
    const status = (await api(c, '/api/status', { token })).json;
    expect(status.connectedSites).toEqual([{ site: 'alpha', since: expect.any(Number), ready: true, epsilonSpent: 0.5 }]);
  });

  it('refuses messages a site may not send after welcome (unexpected) and keeps the connection', async () => {
    const s = site('alpha', alpha);
    expect((await s.handshake()).type).toBe('welcome');
    s.send(createEnvelope('welcome', { site: 'alpha', sessionId: 'abc' }));
    expect((await s.nextOfType('error')).body.code).toBe('MESSAGE_INVALID');
    expect(await rejected('unexpected')).toBeGreaterThanOrEqual(1);
    expect(s.disconnected).toBe(false);
  });

  it('refuses a frame above maxMessageBytes (oversized) and keeps the connection', async () => {
    const small = await startTest(dataDir, { limits: { maxMessageBytes: 8192, chunkBytes: 1024 } });
    try {
      const s = new FakeSite(small.url, 'alpha', alpha);
      sites.push(s);
      expect((await s.handshake()).type).toBe('welcome');
      s.sendBytes(new Uint8Array(9000)); // above the limit, below socket.io's buffer (limit + 64 KiB)
      expect((await s.nextOfType('error')).body.code).toBe('PAYLOAD_TOO_LARGE');
      expect(await metric(small, 'cohort_messages_rejected_total', 'reason="oversized"')).toBe(1);
      expect(s.disconnected).toBe(false);
    } finally {
      await small.close();
    }
  });

  it('a newer authenticated connection replaces the older one', async () => {
    const first = site('beta', beta);
    expect((await first.handshake()).type).toBe('welcome');
    const second = site('beta', beta);
    expect((await second.handshake()).type).toBe('welcome');
    await first.waitDisconnect();
    expect(second.disconnected).toBe(false);
    const token = adminToken(dataDir);
    const status = await api(c, '/api/status', { token });
    expect(status.json.connectedSites.map((x: { site: string }) => x.site)).toEqual(['beta']);
  });

  it('disconnects a site revoked in the store while connected (sweep every 2 s)', async () => {
    const fresh = generateIdentity();
    enroll(dataDir, 'gamma', encode(fresh));
    const s = site('gamma', fresh);
    expect((await s.handshake()).type).toBe('welcome');
    withStore(dataDir, (store) => store.revokeSite('gamma', { at: Date.now() }));
    const error = await s.nextOfType('error', 5000);
    expect(error.body).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/revoked/) });
    await s.waitDisconnect(5000);
  });
});

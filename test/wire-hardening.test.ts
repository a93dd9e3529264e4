// Issue 12, findings 1-3, against real processes on loopback: one malformed socket.io
// packet must not stop the coordinator (before authentication, from a dashboard) or a
// site agent (from the coordinator side); a site emitting the reserved `disconnect`
// event leaves its session consistent; strangers cannot make the coordinator buffer
// large frames or hold more than a few unauthenticated connections.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePublicKey, generateIdentity, type Identity } from '@cohortfl/identity';
import { createEnvelope } from '@cohortfl/wire';
import { cli, COORDINATOR_CLI, parseMetrics, SITE_CLI, startProcess, type Running } from './support/consortium.js';
import { RawClient } from './support/raw-client.js';
import { FakeCoordinator } from '../site-agent/src/fake-coordinator.test-suite.js';
import { removeTempDirs, siteFolder } from '../site-agent/src/site-fixtures.test-suite.js';

/** The ~20-byte packets of finding 1: EVENT with string data, BINARY_EVENT with number data, EVENT with an ack id and an object. */
const CRASHERS = (nsp: string) => [
  { name: 'string data', packet: { type: 2, nsp, data: 'msg' } },
  { name: 'number data', packet: { type: 5, nsp, data: 7 } },
  { name: 'ack id and an object', packet: { type: 2, nsp, data: { a: 1 }, id: 1 } },
];

/** The default cap on unauthenticated connections from one address (config limits.maxUnauthenticatedPerAddress). */
const PER_ADDRESS_DEFAULT = 16;

let dir: string;
let coordinator: Running;
let url: string;
let adminToken: string;
const site = 'probe';
let identity: Identity;

const metric = async (name: string): Promise<number> => parseMetrics(await (await fetch(`${url}/metrics`)).text()).get(name) ?? 0;
/** Both kinds of cohort_uncaught_errors_total; throws if the series are missing. */
const uncaught = async (): Promise<number> => {
  const m = parseMetrics(await (await fetch(`${url}/metrics`)).text());
  const kinds = ['exception', 'rejection'].map((k) => m.get(`cohort_uncaught_errors_total{kind="${k}"}`));
  if (kinds.some((v) => v === undefined)) throw new Error('cohort_uncaught_errors_total is not exported');
  return kinds.reduce((a, b) => a! + b!, 0)!;
};
const alive = async (proc: Running): Promise<boolean> => proc.child.exitCode === null && proc.child.signalCode === null;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cohortfl-wire-'));
  const data = join(dir, 'coordinator');
  cli(COORDINATOR_CLI, ['init', '--data-dir', data]);
  identity = generateIdentity();
  cli(COORDINATOR_CLI, ['sites', 'add', site, '--public-key', encodePublicKey(identity.publicKey), '--data-dir', data]);
  coordinator = startProcess(COORDINATOR_CLI, ['serve', '--data-dir', data, '--host', '127.0.0.1', '--port', '0'], join(dir, 'coordinator.log'));
  url = (await coordinator.waitFor(/listening on (\S+)/))[1]!;
  adminToken = readFileSync(join(data, 'admin-token'), 'utf8').trim();
}, 60_000);

afterAll(async () => {
  coordinator?.child.kill('SIGKILL');
  await coordinator?.exited;
  rmSync(dir, { recursive: true, force: true });
  removeTempDirs();
});

describe('finding 1: one malformed socket.io packet', () => {
  it('before authentication closes that connection only; the coordinator stays up and counts it', async () => {
    const before = await metric('cohort_messages_rejected_total{reason="invalid_packet"}');
    for (const { name, packet } of CRASHERS('/')) {
      const client = await RawClient.open(url);
      client.sendPacket(packet);
      await Promise.race([client.closed, coordinator.exited.then(() => { throw new Error(`the coordinator exited on ${name}`); })]);
      expect(await alive(coordinator), name).toBe(true);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    }
    expect(await metric('cohort_messages_rejected_total{reason="invalid_packet"}')).toBe(before + 3);
    expect(await uncaught()).toBe(0);
  });

  it('from a read-only dashboard socket closes that dashboard only', async () => {
    const viewer = readFileSync(join(dir, 'coordinator', 'viewer-token'), 'utf8').trim();
    for (const { name, packet } of CRASHERS('/dashboard')) {
      const client = await RawClient.open(url, '/dashboard', { token: viewer });
      client.sendPacket(packet);
      await Promise.race([client.closed, coordinator.exited.then(() => { throw new Error(`the coordinator exited on ${name}`); })]);
      expect(await alive(coordinator), name).toBe(true);
    }
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(await uncaught()).toBe(0);
  });

  it('from the coordinator side closes the site agent\'s connection; the agent stays up and reconnects', async () => {
    const key = generateIdentity();
    const folder = siteFolder({ site: 'eastfield', coordinatorUrl: 'http://127.0.0.1:1', coordinatorKey: encodePublicKey(key.publicKey), approved: [] });
    const fake = await FakeCoordinator.start({ identity: key, sites: { eastfield: folder.publicKey } });
    const config = JSON.parse(readFileSync(folder.configPath, 'utf8'));
    config.coordinator.url = fake.url;
    writeFileSync(folder.configPath, JSON.stringify(config));
    const agent = startProcess(SITE_CLI, ['run', '--config', folder.configPath, '--log-level', 'warn'], join(dir, 'site.log'));
    try {
      const metricsUrl = (await agent.waitFor(/metrics on (\S+)/))[1]!;
      const died = agent.exited.then((code) => { throw new Error(`the site agent exited (${code})`); });
      let authenticated = 0;
      for (const { name, packet } of CRASHERS('/')) {
        const auth = await Promise.race([fake.waitFor((e) => e.kind === 'authenticated' && fake.events.filter((x) => x.kind === 'authenticated').length > authenticated, 'authentication'), died]);
        authenticated += 1;
        const id = (auth as { id: string }).id;
        const { MsgpackrEncoder } = await import('@cohortfl/wire');
        fake.sendFrame('eastfield', new MsgpackrEncoder().encode(packet as never)[0]!);
        await Promise.race([fake.waitFor((e) => e.kind === 'disconnect' && e.id === id, `the site to drop the connection after ${name}`), died]);
      }
      await Promise.race([fake.waitFor((e) => e.kind === 'authenticated' && fake.events.filter((x) => x.kind === 'authenticated').length > authenticated, 'reconnection'), died]);
      authenticated += 1;
      // A valid CONNECT_ERROR after welcome: socket.io-client deactivates the socket without a
      // 'disconnect'; the agent must still end that session and come back (found by the fuzzer).
      const { MsgpackrEncoder } = await import('@cohortfl/wire');
      fake.sendFrame('eastfield', new MsgpackrEncoder().encode({ type: 4, nsp: '/', data: 'disconnecting' } as never)[0]!);
      await Promise.race([fake.waitFor((e) => e.kind === 'authenticated' && fake.events.filter((x) => x.kind === 'authenticated').length > authenticated, 'reconnection after CONNECT_ERROR'), died]);
      expect(await alive(agent)).toBe(true);
      const text = await (await fetch(metricsUrl)).text();
      const m = parseMetrics(text);
      expect(m.get('cohort_messages_rejected_total{reason="invalid_packet"}')).toBe(3);
      expect(m.get('cohort_site_uncaught_errors_total{kind="exception"}')).toBe(0);
      expect(m.get('cohort_site_uncaught_errors_total{kind="rejection"}')).toBe(0);
    } finally {
      agent.child.kill('SIGKILL');
      await agent.exited;
      await fake.close();
    }
  });
});

describe('finding 2: a site emitting the reserved `disconnect` event', () => {
  it('is refused with its connection closed, and its session ends with it', async () => {
    const client = await RawClient.open(url);
    await client.handshake(site, identity);
    const status = async () => (await (await fetch(`${url}/api/status`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { connectedSites: { site: string }[] };
    const listed = async () => (await status()).connectedSites.some((s) => s.site === site);
    for (let i = 0; i < 50 && !(await listed()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await listed(), 'the session is listed after welcome').toBe(true);
    client.sendPacket({ type: 2, nsp: '/', data: ['disconnect', 'io client disconnect'] });
    // A later frame: refused with an error if the connection were still served.
    client.send(createEnvelope('status', { ready: true, seq: 2 }));
    client.socket.emit('msg', new Uint8Array([0x93, 0x02, 0xa1]));
    await client.until(() => client.isClosed || client.received.some((e) => e.type === 'error'), 'close or answer');
    // Consistent: the connection is closed and no session remains, or both live on.
    for (let i = 0; i < 50 && (await listed()) && client.isClosed; i++) await new Promise((r) => setTimeout(r, 100));
    expect(client.isClosed, 'the connection is closed').toBe(true);
    expect(await listed(), 'the session is gone').toBe(false);
    expect(await alive(coordinator)).toBe(true);
  });
});

describe('a site leaving its namespace', () => {
  it('ends its session and its transport (no connection lingers without a namespace)', async () => {
    const client = await RawClient.open(url);
    await client.handshake(site, identity);
    client.sendPacket({ type: 1, nsp: '/' });
    await client.closed;
    expect(client.isClosed).toBe(true);
  });
});

describe('finding 3: bounded cost for strangers', () => {
  it('refuses a frame above the pre-authentication limit from its header (close 1009) and counts it', async () => {
    const before = await metric('cohort_messages_rejected_total{reason="frame_too_large"}');
    const client = await RawClient.open(url);
    // 256 KiB: far under the post-authentication limit (64 MiB), far over the pre-authentication one.
    client.socket.emit('msg', new Uint8Array(256 * 1024));
    const closed = await client.closed;
    expect(closed.code).toBe(1009);
    expect(client.received).toEqual([]);
    expect(await metric('cohort_messages_rejected_total{reason="frame_too_large"}')).toBe(before + 1);
  });

  it('lets an authenticated site send frames above the pre-authentication limit', async () => {
    const client = await RawClient.open(url);
    await client.handshake(site, identity);
    client.socket.emit('msg', new Uint8Array(256 * 1024)); // refused as malformed, answered, connection kept
    await client.until(() => client.received.some((e) => e.type === 'error') || client.isClosed, 'an answer');
    expect(client.isClosed).toBe(false);
    client.close();
  });

  it('refuses the N+1th unauthenticated connection from one address, and admits again once one closes', async () => {
    const before = await metric('cohort_messages_rejected_total{reason="connection_limit"}');
    const held: RawClient[] = [];
    try {
      for (let i = 0; i < PER_ADDRESS_DEFAULT; i++) held.push(await RawClient.open(url));
      await expect(RawClient.open(url)).rejects.toThrow();
      expect(await metric('cohort_messages_rejected_total{reason="connection_limit"}')).toBe(before + 1);
      held.shift()!.close();
      let admitted: RawClient | undefined;
      for (let i = 0; i < 50 && !admitted; i++) {
        admitted = await RawClient.open(url).catch(() => undefined);
        if (!admitted) await new Promise((r) => setTimeout(r, 100));
      }
      expect(admitted).toBeDefined();
      held.push(admitted!);
    } finally {
      for (const c of held) c.close();
    }
    expect(await alive(coordinator)).toBe(true);
  });
});

// Whatever a site connects to, relaying its handshake to the real coordinator, must not
// be able to speak for it. Over plain HTTP there is no channel to bind, so the relay can
// carry the handshake through, but every status it injects in the site's name is refused
// (statuses are signed for the session). Over TLS the handshake is bound to the TLS
// connection (exporter): the relay's two connections have two different values, the site
// finds no valid proof of the coordinator's key for its own channel, and walks away.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { createCodec, createEnvelope, msgpackrParser } from '@cohortfl/wire';
import type { Server as ServerType } from 'socket.io';
import { adminToken, api, createFixture, ROOT, parseMetrics, pointSitesAt, startCoordinator, startProcess, startTlsCoordinator, SITE_CLI, waitUntil, type Fixture, type Running } from './support/consortium.js';

// The relay is a socket.io server, a library the coordinator owns: loaded from its package.
const { Server } = createRequire(join(ROOT, 'coordinator', 'package.json'))('socket.io') as { Server: typeof ServerType };

const procs: Running[] = [];
const closers: (() => Promise<void> | void)[] = [];
let fixture: Fixture | undefined;

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const p of procs.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  if (fixture && !process.env.COHORTFL_KEEP_TEST_DIRS) rmSync(fixture.dir, { recursive: true, force: true });
  fixture = undefined;
});

/**
 * A socket.io relay on loopback: every site connection gets its own connection to the
 * coordinator, frames pass both ways; `onWelcome` may inject frames once the coordinator
 * welcomed the site.
 */
async function relay(target: string, tls: { cert: string; key: string; ca: string } | undefined, onWelcome: (upstream: ClientSocket) => void) {
  const codec = createCodec();
  const http = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }) : createHttpServer();
  const server = new Server(http, { parser: msgpackrParser, serveClient: false, transports: ['websocket'] });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  const counts = { connections: 0, welcomes: 0 };
  server.on('connection', (down) => {
    counts.connections++;
    const up = connect(target, { parser: msgpackrParser, transports: ['websocket'], forceNew: true, reconnection: false, ...(tls ? { ca: tls.ca } : {}) });
    down.on('msg', (bytes: unknown) => up.emit('msg', bytes));
    up.on('msg', (bytes: Uint8Array) => {
      down.emit('msg', bytes);
      if (codec.decode(new Uint8Array(bytes)).type === 'welcome') {
        counts.welcomes++;
        onWelcome(up);
      }
    });
    down.on('disconnect', () => up.close());
    up.on('disconnect', () => down.disconnect(true));
  });
  closers.push(async () => {
    server.close();
    await new Promise((r) => http.close(() => r(undefined)));
  });
  return { url: `${tls ? 'https' : 'http'}://127.0.0.1:${(http.address() as AddressInfo).port}`, counts };
}

const siteMetrics = async (proc: Running) => {
  const url = (await proc.waitFor(/metrics on (\S+)/))[1]!;
  return parseMetrics(await (await fetch(url)).text());
};

describe('a relay between a site and the coordinator', () => {
  it('over plain HTTP it can carry the handshake, but a status it forges in the site\'s name is refused', async () => {
    fixture = await createFixture({ rounds: 1 });
    const coordinator = await startCoordinator(fixture);
    procs.push(coordinator.proc);
    const codec = createCodec();
    // The forged status: unsigned, "this site is out of budget".
    const forge = (up: ClientSocket) => setTimeout(() => up.emit('msg', codec.encode(createEnvelope('status', { ready: false, epsilonSpent: 99, seq: 1_000 }))), 300);
    const mitm = await relay(coordinator.url, undefined, forge);
    pointSitesAt(fixture, mitm.url);
    const site = fixture.sites[0]!;
    const proc = startProcess(SITE_CLI, ['run', '--config', site.configPath], join(fixture.logs, `site-${site.name}.log`));
    procs.push(proc);
    await proc.waitFor(/connected to/);
    const token = adminToken(fixture);
    const refused = await waitUntil(async () => {
      const m = parseMetrics(await (await fetch(`${coordinator.url}/metrics`)).text());
      return (m.get('cohort_messages_rejected_total{reason="bad_signature"}') ?? 0) >= 1 ? m : undefined;
    }, 20_000, 'the forged status refused');
    expect(refused.get('cohort_messages_rejected_total{reason="bad_signature"}')).toBe(1);
    const status = await api(coordinator.url, token, '/api/status');
    // What the coordinator shows is what the site signed: ready, ε as the site reported it (none).
    expect(status.connectedSites).toEqual([{ site: site.name, since: expect.any(Number), ready: true, epsilonSpent: null }]);
  }, 60_000);

  it('over TLS the site refuses the handshake: the coordinator\'s proof is for another channel', async () => {
    fixture = await createFixture({ rounds: 1 });
    const { proc, url, cert, key } = await startTlsCoordinator(fixture);
    procs.push(proc);
    // The relay holds a certificate the site trusts (the worst case: a proxy with the key).
    const pem = { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8'), ca: readFileSync(cert, 'utf8') };
    const mitm = await relay(url, pem, () => undefined);
    pointSitesAt(fixture, mitm.url);
    const site = fixture.sites[0]!;
    const config = JSON.parse(readFileSync(site.configPath, 'utf8'));
    config.coordinator.ca = cert;
    writeFileSync(site.configPath, JSON.stringify(config));
    const siteProc = startProcess(SITE_CLI, ['run', '--config', site.configPath], join(fixture.logs, `site-${site.name}.log`));
    procs.push(siteProc);
    const metrics = await waitUntil(async () => {
      const m = await siteMetrics(siteProc);
      return (m.get('cohort_messages_rejected_total{reason="coordinator_unproven"}') ?? 0) >= 1 ? m : undefined;
    }, 20_000, 'the site to refuse the relayed challenge');
    expect(metrics.get('cohort_messages_rejected_total{reason="coordinator_unproven"}')).toBeGreaterThanOrEqual(1);
    expect(mitm.counts.connections).toBeGreaterThanOrEqual(1);
    expect(mitm.counts.welcomes).toBe(0);
    expect(siteProc.lines.some((l) => l.includes('connected to'))).toBe(false);
  }, 60_000);
});

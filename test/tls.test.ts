// The coordinator over TLS: a self-signed certificate made for 127.0.0.1, the site
// agents trusting it through `coordinator.ca`, one whole round end to end.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { adminToken, createFixture, pointSitesAt, startSite, startTlsCoordinator, waitUntil, type Fixture, type Running } from './support/consortium.js';

const procs: Running[] = [];
let fixture: Fixture | undefined;

afterAll(async () => {
  for (const p of procs) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  if (fixture) rmSync(fixture.dir, { recursive: true, force: true });
});

describe('TLS', () => {
  it('runs a round over https with sites that pin the certificate authority', async () => {
    fixture = await createFixture({ rounds: 1 });
    const { proc, url, cert } = await startTlsCoordinator(fixture);
    procs.push(proc);
    expect(url.startsWith('https://')).toBe(true);
    pointSitesAt(fixture, url);
    for (const s of fixture.sites) {
      const c = JSON.parse(readFileSync(s.configPath, 'utf8'));
      c.coordinator.ca = cert;
      writeFileSync(s.configPath, JSON.stringify(c));
    }
    procs.push(...(await Promise.all(fixture.sites.map((s) => startSite(fixture!, s.name)))));
    const token = adminToken(fixture);
    const call = (path: string, init: RequestInit = {}) =>
      new Promise<any>((resolve, reject) => {
        // fetch has no per-request CA option, so the admin API is called with node:https and the CA.
        import('node:https').then(({ request }) => {
          const req = request(`${url}${path}`, { method: init.method ?? 'GET', ca: readFileSync(cert), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve(JSON.parse(body)));
          });
          req.on('error', reject);
          if (init.body) req.write(init.body);
          req.end();
        });
      });
    await waitUntil(async () => (await call('/api/status')).connectedSites.length === 3, 20_000, 'three sites over TLS');
    await call('/api/runs', { method: 'POST', body: JSON.stringify({ task: 'cad-mini', rounds: 1 }) });
    await waitUntil(async () => (await call('/api/status')).run?.status === 'completed', 90_000, 'run completed over TLS');
  }, 150_000);
});

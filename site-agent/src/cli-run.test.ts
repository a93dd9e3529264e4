// `cohort-site run` through runCli against the fake coordinator: the stdout lines
// scripts wait for, and a clean stop (exit 0) when the stop signal comes.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { encodePublicKey, generateIdentity } from '@cohortfl/identity';
import { runCli } from './cli-app.js';
import { FakeCoordinator } from './fake-coordinator.test-suite.js';
import { removeTempDirs, siteFolder } from './site-fixtures.test-suite.js';

let fake: FakeCoordinator | undefined;
afterAll(async () => {
  await fake?.close();
  removeTempDirs();
});

describe('cohort-site run', () => {
  it('prints the metrics and connected lines, then stops cleanly with exit 0 on the stop signal', async () => {
    const coordinator = generateIdentity();
    const folder = siteFolder({ site: 'eastfield', coordinatorUrl: 'http://127.0.0.1:1', coordinatorKey: encodePublicKey(coordinator.publicKey), approved: [] });
    fake = await FakeCoordinator.start({ identity: coordinator, sites: { eastfield: folder.publicKey } });
    const config = JSON.parse(readFileSync(folder.configPath, 'utf8'));
    config.coordinator.url = fake.url;
    writeFileSync(folder.configPath, JSON.stringify(config));

    const out: string[] = [];
    let stop!: (signal: string) => void;
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    const exit = runCli(['run', '--config', folder.configPath, '--log-level', 'silent'], { out: (l) => out.push(l), err: (l) => out.push(`ERR ${l}`), untilStopped: () => stopped });
    await fake.ready('eastfield');
    await fake.waitFor((e) => e.kind === 'authenticated', 'authentication');
    const deadline = Date.now() + 5000;
    while (!out.some((l) => l.includes('connected to')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(out[0]).toMatch(/^cohort-site eastfield metrics on http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(out).toContain(`cohort-site eastfield connected to ${fake.url}`);
    stop('SIGTERM');
    expect(await exit).toBe(0);
    await fake.waitFor((e) => e.kind === 'disconnect', 'the site to disconnect');
  });
});

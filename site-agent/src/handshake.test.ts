// Handshakes the site must not complete: a coordinator presenting a key other
// than the pinned one, and a coordinator that refuses the site's key.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { encodePublicKey, generateIdentity } from '@cohortfl/identity';
import { initBackend } from '@cohortfl/ml';
import { startSiteAgent, type SiteAgent, type SiteAgentEvent } from './agent.js';
import { loadSiteConfig } from './config.js';
import { createLogger } from './logger.js';
import { FakeCoordinator } from './fake-coordinator.test-suite.js';
import { removeTempDirs, siteFolder } from './site-fixtures.test-suite.js';

const SITE = 'st-marys';
let fake: FakeCoordinator | undefined;
let agent: SiteAgent | undefined;

beforeAll(() => initBackend(undefined, { quiet: true }));

afterEach(async () => {
  await agent?.stop();
  await fake?.close();
  agent = undefined;
  fake = undefined;
  removeTempDirs();
});

async function setup(options: { pinned: string; presentKey?: string; enrolledKey?: string }) {
  const coordinator = generateIdentity();
  const folder = siteFolder({ site: SITE, coordinatorUrl: 'http://127.0.0.1:1', coordinatorKey: options.pinned, approved: [], metrics: false });
  fake = await FakeCoordinator.start({
    identity: coordinator,
    sites: { [SITE]: options.enrolledKey ?? folder.publicKey },
    ...(options.presentKey ? { presentKey: options.presentKey } : {}),
  });
  const config = JSON.parse(readFileSync(folder.configPath, 'utf8'));
  config.coordinator.url = fake.url;
  writeFileSync(folder.configPath, JSON.stringify(config));
  const events: SiteAgentEvent[] = [];
  agent = await startSiteAgent(loadSiteConfig(folder.configPath), { logger: createLogger('silent'), onEvent: (e) => events.push(e) });
  return { fake, agent, events };
}

async function rejected(a: SiteAgent, reason: string): Promise<number> {
  const m = a.metrics.getSingleMetric('cohort_messages_rejected_total');
  const values = m ? (await m.get()).values : [];
  return values.find((v) => v.labels['reason'] === reason)?.value ?? 0;
}

describe('handshake refusals', () => {
  it('disconnects from a coordinator presenting an unpinned key, without answering its challenge, then retries', async () => {
    const pinned = encodePublicKey(generateIdentity().publicKey);
    const impostor = encodePublicKey(generateIdentity().publicKey);
    const { fake, agent, events } = await setup({ pinned, presentKey: impostor });
    const first = await fake.waitFor((e) => e.kind === 'connection', 'a connection');
    await fake.waitFor((e) => e.kind === 'disconnect' && e.id === first.id, 'the site to disconnect');
    // It comes back (after backoff) and walks away again: never an auth, never connected.
    await fake.waitFor((e) => e.kind === 'connection' && e.id !== first.id, 'a second connection');
    expect(fake.messages('hello').length).toBeGreaterThanOrEqual(1);
    expect(fake.messages('auth')).toHaveLength(0);
    expect(events.some((e) => e.kind === 'connected')).toBe(false);
    expect(await rejected(agent, 'unpinned_key')).toBeGreaterThanOrEqual(1);
  });

  it('stays unauthenticated when the coordinator refuses its key, and keeps retrying', async () => {
    const coordinatorKey = generateIdentity();
    const pinned = encodePublicKey(coordinatorKey.publicKey);
    const { fake, events } = await setup({ pinned, presentKey: pinned, enrolledKey: encodePublicKey(generateIdentity().publicKey) });
    const first = await fake.waitFor((e) => e.kind === 'connection', 'a connection');
    await fake.waitFor((e) => e.kind === 'connection' && e.id !== first.id, 'a retry after the refusal');
    expect(fake.messages('auth')).toHaveLength(0);
    expect(events.some((e) => e.kind === 'connected')).toBe(false);
  });
});

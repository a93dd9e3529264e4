// A real site agent over a socket against a coordinator that lies in its signed
// secure-aggregation messages: it invents a peer's identity key, then presents a
// consortium the hospital never approved. The agent refuses each with a counted
// reason before sharing any secret, and a site with no pinned consortium refuses
// secure rounds outright.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePublicKey, generateIdentity } from '@cohortfl/identity';
import { initialWeights } from '@cohortfl/ml';
import { createMembership, membershipFile, secureRoundConfig, signEnvelope, type Membership, type SiteWork } from '@cohortfl/protocol';
import { createEnvelope, type Envelope, type RoundRefuse, type SecAggKeys } from '@cohortfl/wire';
import { startSiteAgent, type SiteAgent } from './agent.js';
import { loadSiteConfig } from './config.js';
import { createLogger } from './logger.js';
import { FakeCoordinator } from './fake-coordinator.test-suite.js';
import { removeTempDirs, siteFolder, tinyTask } from './site-fixtures.test-suite.js';

const coordinator = generateIdentity();
const peer = generateIdentity();
const enrolled: Record<string, string> = {};
let fake: FakeCoordinator;
let tiny: Awaited<ReturnType<typeof tinyTask>>;
let weights: Float32Array;
let membership: Membership;
const agents: SiteAgent[] = [];

const work = (): SiteWork => ({
  load: async () => undefined,
  train: async (start) => ({ update: new Float32Array(start.weights.length).fill(0.1), numExamples: 20, metrics: { loss: 0.5 } }),
  evaluate: async () => ({ numExamples: 7, metrics: { auc: 0.75 } }),
});

/** A site whose policy pins `pin` (or nothing), with metrics on. */
async function startSite(site: string, pin: 'real' | 'none'): Promise<SiteAgent> {
  const folder = siteFolder({ site, coordinatorUrl: fake.url, coordinatorKey: encodePublicKey(coordinator.publicKey), approved: [tiny.hash] });
  mkdirSync(join(folder.dir, 'empty'));
  enrolled[site] = folder.publicKey;
  if (pin === 'real') {
    membership = createMembership([
      { site, identityKey: folder.publicKey },
      { site: 'southbank', identityKey: encodePublicKey(peer.publicKey) },
    ]);
    writeFileSync(join(folder.dir, 'consortium.json'), membershipFile(membership));
    const policy = JSON.parse(readFileSync(join(folder.dir, 'policy.json'), 'utf8'));
    writeFileSync(join(folder.dir, 'policy.json'), JSON.stringify({ ...policy, consortium: { file: 'consortium.json', sha256: membership.digest } }));
  }
  const agent = await startSiteAgent(loadSiteConfig(folder.configPath), { logger: createLogger('silent'), work: () => work() });
  agents.push(agent);
  await fake.ready(site);
  fake.send(site, createEnvelope('task/manifest', { hash: tiny.hash, json: tiny.json }));
  return agent;
}

const secureConfig = () => secureRoundConfig({ clip: 5, weightScale: 1000, stepTimeoutMs: 1000, membership }, 2);

async function refusals(agent: SiteAgent): Promise<Record<string, number>> {
  const metric = (await agent.metrics.getMetricsAsJSON()).find((m) => m.name === 'cohort_site_refusals_total');
  return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels['reason']), v.value]));
}

beforeAll(async () => {
  tiny = await tinyTask('1');
  weights = await initialWeights(tiny.task.model, tiny.task.seed);
  fake = await FakeCoordinator.start({ identity: coordinator, sites: enrolled });
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await fake?.close();
  removeTempDirs();
});

describe('a site agent against a coordinator that lies about the consortium', () => {
  it('refuses a roster with an invented identity key, and one drawn over an unapproved membership', async () => {
    const agent = await startSite('northgate', 'real');
    const refusalOf = (round: number) => (e: Envelope) => e.type === 'round/refuse' && (e.body as RoundRefuse).round === round;
    for (const [round, lie] of [[1, 'key'], [2, 'membership']] as const) {
      const from = fake.events.length;
      fake.send('northgate', fake.roundStart({ taskHash: tiny.hash, round, attempt: 1, phase: 'train', cohort: ['northgate', 'southbank'], weights, config: secureConfig() }));
      const keys = (await fake.nextMessage((e) => e.type === 'secagg/keys', 'keys', from)).body as SecAggKeys;
      const invented = generateIdentity();
      const roster = {
        type: 'secagg/roster' as const,
        taskHash: tiny.hash,
        round,
        attempt: 1,
        threshold: 2,
        degree: 0,
        colluders: 0,
        membership: lie === 'membership' ? createMembership([{ site: 'northgate', identityKey: enrolled['northgate']! }, { site: 'southbank', identityKey: encodePublicKey(invented.publicKey) }]).digest : membership.digest,
        roster: [
          { site: 'northgate', cPk: keys.cPk, sPk: keys.sPk, keySig: keys.keySig, identityKey: enrolled['northgate']! },
          // The coordinator's own keys under a real member's name.
          { site: 'southbank', cPk: new Uint8Array(32).fill(9), sPk: new Uint8Array(32).fill(7), keySig: new Uint8Array(64), identityKey: encodePublicKey(invented.publicKey) },
        ],
      };
      fake.send('northgate', signEnvelope(coordinator.secretKey, createEnvelope('secagg/roster', roster)));
      const refused = (await fake.nextMessage(refusalOf(round), 'refusal', from)).body as RoundRefuse;
      expect(refused.error.code).toBe('POLICY_REFUSED');
      expect(fake.messages('secagg/shares')).toHaveLength(0);
    }
    expect(await refusals(agent)).toMatchObject({ unpinned_member: 2 });
  });

  it('a site with no pinned consortium refuses secure rounds before training', async () => {
    const agent = await startSite('eastfield', 'none');
    const from = fake.events.length;
    fake.send('eastfield', fake.roundStart({ taskHash: tiny.hash, round: 1, attempt: 1, phase: 'train', cohort: ['eastfield', 'southbank'], weights, config: secureConfig() }));
    const refused = (await fake.nextMessage((e) => e.type === 'round/refuse', 'refusal', from)).body as RoundRefuse;
    expect(refused.error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/no approved consortium membership/) });
    expect(await refusals(agent)).toMatchObject({ config_invalid: 1 });
  });
});

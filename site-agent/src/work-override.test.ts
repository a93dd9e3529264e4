// SiteAgentOptions.work: a site whose work is supplied by the caller (benchmarks, custom
// pipelines) loads no data, yet its policy, signatures, signed-message record and
// differential privacy are those of any other site. Against the fake coordinator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePublicKey, encodePublicKey, generateIdentity } from '@cohortfl/identity';
import { initialWeights } from '@cohortfl/ml';
import { privacyRoundConfig, verifyEnvelope, type SiteWork } from '@cohortfl/protocol';
import type { Task } from '@cohortfl/sdk';
import { createEnvelope, hashWeights, type Envelope, type EvalResult, type RoundRefuse, type UpdateSubmit } from '@cohortfl/wire';
import { startSiteAgent, type SiteAgent } from './agent.js';
import { loadSiteConfig } from './config.js';
import { createLogger } from './logger.js';
import { FakeCoordinator } from './fake-coordinator.test-suite.js';
import { readSignedMessages } from './signed-messages.js';
import { removeTempDirs, siteFolder, tinyTask, type SiteFolder } from './site-fixtures.test-suite.js';

const coordinator = generateIdentity();
const cohort = ['northgate', 'southbank'];
/** The fake coordinator's enrolled keys (it reads this object at each hello). */
const enrolled: Record<string, string> = {};
let fake: FakeCoordinator;
let tiny: Awaited<ReturnType<typeof tinyTask>>;
let unapproved: Awaited<ReturnType<typeof tinyTask>>;
let weights: Float32Array;
const agents: SiteAgent[] = [];
/** Every call the custom work received, by site. */
const calls: { site: string; kind: 'load' | 'train' | 'evaluate'; task: string }[] = [];

/** A deterministic work whose update is far larger than any DP clip: 3 in every coordinate. */
function fixedWork(site: string) {
  return (task: Task): SiteWork => ({
    load: async () => void calls.push({ site, kind: 'load', task: task.version }),
    train: async (start) => {
      calls.push({ site, kind: 'train', task: task.version });
      return { update: new Float32Array(start.weights.length).fill(3), numExamples: 42, metrics: { loss: 0.5 } };
    },
    evaluate: async () => {
      calls.push({ site, kind: 'evaluate', task: task.version });
      return { numExamples: 7, metrics: { auc: 0.75 } };
    },
  });
}

/** A site folder whose dataDir is an empty folder: nothing could be loaded from it. */
function emptyDataSite(site: string): SiteFolder {
  const folder = siteFolder({ site, coordinatorUrl: fake.url, coordinatorKey: encodePublicKey(coordinator.publicKey), approved: [tiny.hash], metrics: false });
  mkdirSync(join(folder.dir, 'empty'));
  const config = JSON.parse(readFileSync(folder.configPath, 'utf8'));
  writeFileSync(folder.configPath, JSON.stringify({ ...config, dataDir: 'empty' }));
  return folder;
}

async function startSite(site: string, withWork: boolean): Promise<SiteFolder> {
  const folder = emptyDataSite(site);
  enrolled[site] = folder.publicKey;
  agents.push(
    await startSiteAgent(loadSiteConfig(folder.configPath), {
      logger: createLogger((process.env.SITE_LOG as never) ?? 'silent'),
      ...(withWork ? { work: fixedWork(site) } : {}),
    }),
  );
  await fake.ready(site);
  fake.send(site, createEnvelope('task/manifest', { hash: tiny.hash, json: tiny.json }));
  fake.send(site, createEnvelope('task/manifest', { hash: unapproved.hash, json: unapproved.json }));
  return folder;
}

const answerOf = (site: string, round: number) => (e: Envelope) =>
  ['update/submit', 'eval/result', 'round/refuse'].includes(e.type) && (e.body as { site: string; round: number }).site === site && (e.body as { round: number }).round === round;

let custom: SiteFolder;

beforeAll(async () => {
  [tiny, unapproved] = await Promise.all([tinyTask('1'), tinyTask('2')]);
  weights = await initialWeights(tiny.task.model, tiny.task.seed);
  fake = await FakeCoordinator.start({ identity: coordinator, sites: enrolled });
  custom = await startSite('northgate', true);
  await startSite('plain', false);
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await fake?.close();
  removeTempDirs();
});

describe('site agent with a custom work', () => {
  it('trains with the given work, without data, and signs and records the update', async () => {
    const from = fake.events.length;
    fake.send('northgate', fake.roundStart({ taskHash: tiny.hash, round: 1, attempt: 1, phase: 'train', cohort, weights }));
    const env = await fake.nextMessage(answerOf('northgate', 1), 'northgate train answer', from);
    expect(env.type).toBe('update/submit');
    const body = env.body as UpdateSubmit;
    expect(Array.from(body.update)).toEqual(new Array(weights.length).fill(3));
    expect(body.numExamples).toBe(42);
    expect(verifyEnvelope(decodePublicKey(custom.publicKey), env)).toBe(true);
    expect(calls.filter((c) => c.site === 'northgate').map((c) => `${c.kind}:${c.task}`)).toEqual(['load:1', 'train:1']);
    const records = readSignedMessages(join(custom.dir, 'state')).records;
    expect(records.map((r) => `${r.type}:${r.round}`)).toEqual(['update/submit:1']);
  });

  it('evaluates with the given work', async () => {
    const from = fake.events.length;
    fake.send('northgate', fake.roundStart({ taskHash: tiny.hash, round: 1, attempt: 1, phase: 'evaluate', cohort, weights, config: { modelHash: hashWeights(weights) } }));
    const env = await fake.nextMessage(answerOf('northgate', 1), 'northgate evaluate answer', from);
    expect(env.type).toBe('eval/result');
    expect(env.body as EvalResult).toMatchObject({ numExamples: 7, metrics: { auc: 0.75 } });
  });

  it('still applies site-level DP: the work\'s update is clipped and carries no training metric', async () => {
    const from = fake.events.length;
    const dp = privacyRoundConfig({ unit: 'site', clip: 1, noiseMultiplier: 1e-4, delta: 1e-5, rounds: 3, minSites: 2 });
    fake.send('northgate', fake.roundStart({ taskHash: tiny.hash, round: 2, attempt: 1, phase: 'train', cohort, weights, config: dp }));
    const body = (await fake.nextMessage(answerOf('northgate', 2), 'northgate DP answer', from)).body as UpdateSubmit;
    const norm = Math.sqrt(body.update.reduce((s, x) => s + x * x, 0));
    expect(norm).toBeGreaterThan(0.99);
    expect(norm).toBeLessThan(1.01); // 3·√d before the clip
    expect(body.numExamples).toBe(1);
    expect(body.metrics).toEqual({});
  });

  it('still enforces the policy first: an unapproved task is refused and the work never called', async () => {
    const before = calls.length;
    const from = fake.events.length;
    fake.send('northgate', fake.roundStart({ taskHash: unapproved.hash, round: 1, attempt: 1, phase: 'train', cohort, weights }));
    const env = await fake.nextMessage((e) => e.type === 'round/refuse' && (e.body as RoundRefuse).taskHash === unapproved.hash, 'refusal', from);
    expect((env.body as RoundRefuse).error.code).toBe('POLICY_REFUSED');
    expect(calls.length).toBe(before);
  });

  it('without it, the same empty data folder makes the site refuse the round (its data cannot load)', async () => {
    const from = fake.events.length;
    fake.send('plain', fake.roundStart({ taskHash: tiny.hash, round: 1, attempt: 1, phase: 'train', cohort: ['plain', 'northgate'], weights }));
    const env = await fake.nextMessage(answerOf('plain', 1), 'plain train answer', from);
    expect(env.type).toBe('round/refuse');
    expect((env.body as RoundRefuse).error).toMatchObject({ code: 'DATA_INVALID' });
    expect(calls.some((c) => c.site === 'plain')).toBe(false);
  });
});

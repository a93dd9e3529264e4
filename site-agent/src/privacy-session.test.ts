// A site whose policy sets a privacy budget, against the fake coordinator over real
// socket.io: rounds without DP are refused, DP rounds (patient-level DP-SGD and
// site-level) are charged to one ledger stored in stateDir and reported in status,
// an exhausted budget refuses the round and reports the site not ready, and a
// restarted agent keeps what it spent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { encodePublicKey, generateIdentity } from '@cohortfl/identity';
import { initialWeights } from '@cohortfl/ml';
import { privacyRoundConfig, type RoundPrivacy } from '@cohortfl/protocol';
import { createEnvelope, splitIntoChunks, type Envelope, type RoundRefuse, type UpdateSubmit } from '@cohortfl/wire';
import { startSiteAgent, type SiteAgent } from './agent.js';
import { loadSiteConfig } from './config.js';
import { createLogger } from './logger.js';
import { FakeCoordinator } from './fake-coordinator.test-suite.js';
import { LEDGER_FILE } from './privacy-ledger.js';
import { removeTempDirs, siteFolder, tinyTask, type SiteFolder } from './site-fixtures.test-suite.js';

const SITE = 'northgate';
const coordinator = generateIdentity();
const cohort = [SITE, 'southbank'];
// Site-level DP with σ = 2 at δ = 1e-5 costs ε ≈ 2.17 for one round and ≈ 3.19 for two.
const siteDp: RoundPrivacy = { unit: 'site', clip: 1, noiseMultiplier: 2, delta: 1e-5, rounds: 3, minSites: 1 };
// Patient-level DP-SGD with a large σ: a small charge, through the site's facts() and trainLocalDp.
const patientDp: RoundPrivacy = { unit: 'patient', clip: 1, noiseMultiplier: 8, delta: 1e-5, rounds: 3, minSites: 1 };
const budget = { epsilonMax: 2.6, delta: 1e-5 };
// Every status carries the policy summary and the budget ε is spent against.
const summary = { epsilonBudget: 2.6, policy: { minCohortSize: 2, approvedTasks: 1, acceptTasks: true } };
let fake: FakeCoordinator;
let folder: SiteFolder;
let agent: SiteAgent;
let tiny: Awaited<ReturnType<typeof tinyTask>>;
let weights: Float32Array;

async function metric(registry: Registry, name: string): Promise<number | undefined> {
  const m = registry.getSingleMetric(name);
  return m ? (await m.get()).values[0]?.value : undefined;
}

function start(): Promise<SiteAgent> {
  return startSiteAgent(loadSiteConfig(folder.configPath), { logger: createLogger((process.env.SITE_LOG as never) ?? 'silent') });
}

const isAnswer = (round: number) => (e: Envelope) =>
  (e.type === 'update/submit' || e.type === 'round/refuse') && (e.body as { round: number }).round === round;
const isStatus = (e: Envelope) => e.type === 'status';
const statusBodies = (from: number) =>
  fake.events.slice(from).flatMap((e) => (e.kind === 'message' && e.envelope.type === 'status' ? [e.envelope.body] : []));
const ledgerEpsilon = () => {
  const json = JSON.parse(readFileSync(join(folder.dir, 'state', LEDGER_FILE), 'utf8'));
  return json.history.at(-1)?.epsilonAfter as number;
};

beforeAll(async () => {
  tiny = await tinyTask('1');
  weights = await initialWeights(tiny.task.model, tiny.task.seed);
  folder = siteFolder({ site: SITE, coordinatorUrl: 'http://127.0.0.1:1', coordinatorKey: encodePublicKey(coordinator.publicKey), approved: [tiny.hash], privacy: budget });
  fake = await FakeCoordinator.start({ identity: coordinator, sites: { [SITE]: folder.publicKey } });
  const config = JSON.parse(readFileSync(folder.configPath, 'utf8'));
  config.coordinator.url = fake.url;
  writeFileSync(folder.configPath, JSON.stringify(config));
  agent = await start();
  await fake.ready(SITE);
  fake.send(SITE, createEnvelope('task/manifest', { hash: tiny.hash, json: tiny.json }));
});

afterAll(async () => {
  await agent?.stop();
  await fake?.close();
  removeTempDirs();
});

describe('site agent with a privacy budget', () => {
  it('reports ε spent (0), its budget and its policy summary in its first status, and its budget on /metrics', async () => {
    expect(fake.messages('status')[0]!.body).toEqual({ ready: true, epsilonSpent: 0, ...summary, seq: expect.any(Number) });
    expect(await metric(agent.metrics, 'cohort_site_epsilon_budget')).toBe(2.6);
    expect(await metric(agent.metrics, 'cohort_site_epsilon_spent')).toBe(0);
  });

  it('refuses a round whose task applies no differential privacy (POLICY_REFUSED), before any work', async () => {
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 1, attempt: 1, phase: 'train', cohort, weights }));
    const env = await fake.nextMessage(isAnswer(1), 'answer to round 1');
    expect(env.type).toBe('round/refuse');
    expect((env.body as RoundRefuse).error).toMatchObject({ code: 'POLICY_REFUSED', message: expect.stringMatching(/privacy budget/) });
    expect(existsSync(join(folder.dir, 'state', LEDGER_FILE))).toBe(false);
    // Chunked: refused on the round/start alone, without waiting for (or needing) the model.
    const { hash, chunks } = splitIntoChunks(weights, 8);
    const from = fake.events.length;
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 1, attempt: 2, phase: 'train', cohort, weights: new Float32Array(0), weightsHash: hash, weightsChunks: chunks.length }));
    const chunked = await fake.nextMessage(isAnswer(1), 'answer to chunked round 1 attempt 2', from);
    expect((chunked.body as RoundRefuse).error.code).toBe('POLICY_REFUSED');
  });

  it('trains a patient-level DP-SGD round, stores the charge and reports it before the update', async () => {
    const from = fake.events.length;
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 2, attempt: 1, phase: 'train', cohort, weights, config: privacyRoundConfig(patientDp) }));
    const env = await fake.nextMessage(isAnswer(2), 'answer to round 2', from);
    expect(env.type).toBe('update/submit');
    const update = env.body as UpdateSubmit;
    expect(update.update).toHaveLength(weights.length);
    expect(update.metrics).toEqual({}); // no per-site training metric leaves under DP
    const spent = ledgerEpsilon();
    expect(spent).toBeGreaterThan(0);
    expect(spent).toBeLessThan(0.4);
    const statuses = statusBodies(from);
    expect(statuses).toEqual([{ ready: true, epsilonSpent: expect.closeTo(spent, 9), ...summary, seq: expect.any(Number) }]);
    // The status goes out before the update it pays for.
    const order = fake.events.slice(from).flatMap((e) => (e.kind === 'message' ? [e.envelope.type] : []));
    expect(order.indexOf('status')).toBeLessThan(order.indexOf('update/submit'));
    expect(await metric(agent.metrics, 'cohort_site_epsilon_spent')).toBeCloseTo(spent, 9);
  });

  it('charges a site-level round to the same ledger, then refuses the next with BUDGET_EXHAUSTED and reports ready:false', async () => {
    let from = fake.events.length;
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 3, attempt: 1, phase: 'train', cohort, weights, config: privacyRoundConfig(siteDp) }));
    const env = await fake.nextMessage(isAnswer(3), 'answer to round 3', from);
    expect(env.type).toBe('update/submit');
    expect((env.body as UpdateSubmit).numExamples).toBe(1);
    const spent = ledgerEpsilon();
    expect(spent).toBeGreaterThan(2.17);
    expect(spent).toBeLessThan(2.6);
    expect(statusBodies(from)).toEqual([{ ready: true, epsilonSpent: expect.closeTo(spent, 9), ...summary, seq: expect.any(Number) }]);

    from = fake.events.length;
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 4, attempt: 1, phase: 'train', cohort, weights, config: privacyRoundConfig(siteDp) }));
    const refused = await fake.nextMessage(isAnswer(4), 'answer to round 4', from);
    expect(refused.type).toBe('round/refuse');
    expect((refused.body as RoundRefuse).error).toMatchObject({ code: 'BUDGET_EXHAUSTED', message: expect.stringMatching(/above this site's budget 2\.6/) });
    await fake.nextMessage(isStatus, 'status after the refusal', from);
    expect(statusBodies(from)).toEqual([{ ready: false, epsilonSpent: expect.closeTo(spent, 9), ...summary, seq: expect.any(Number) }]);
    expect(ledgerEpsilon()).toBe(spent); // nothing charged for the refused round
    const ledger = JSON.parse(readFileSync(join(folder.dir, 'state', LEDGER_FILE), 'utf8'));
    expect(ledger.history).toHaveLength(2);
  });

  it('keeps its spent budget across an agent restart', async () => {
    const spent = ledgerEpsilon();
    await agent.stop();
    const from = fake.events.length;
    agent = await start();
    await fake.nextMessage(isStatus, 'status after the restart', from);
    expect(statusBodies(from)[0]).toEqual({ ready: true, epsilonSpent: expect.closeTo(spent, 9), ...summary, seq: expect.any(Number) });
    expect(await metric(agent.metrics, 'cohort_site_epsilon_spent')).toBeCloseTo(spent, 9);
    const again = fake.events.length;
    fake.send(SITE, createEnvelope('task/manifest', { hash: tiny.hash, json: tiny.json }));
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 5, attempt: 1, phase: 'train', cohort, weights, config: privacyRoundConfig(siteDp) }));
    const refused = await fake.nextMessage(isAnswer(5), 'answer to round 5', again);
    expect((refused.body as RoundRefuse).error.code).toBe('BUDGET_EXHAUSTED');
  });
});

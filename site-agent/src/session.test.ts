// The agent against a minimal fake coordinator over real socket.io on 127.0.0.1:
// handshake, signed rounds, forged and replayed announcements, policy refusals,
// chunked models, malformed frames, a coordinator restart, and an agent restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { auditDigestHex, decodePublicKey, encodePublicKey, generateIdentity, signingDigest } from '@cohortfl/identity';
import { initialWeights } from '@cohortfl/ml';
import { isSignedType, signingContext, verifyEnvelope } from '@cohortfl/protocol';
import { createEnvelope, hashWeights, encodeBody, splitIntoChunks, type Envelope, type EvalResult, type RoundRefuse, type UpdateSubmit } from '@cohortfl/wire';
import { startSiteAgent, type SiteAgent, type SiteAgentEvent } from './agent.js';
import { loadSiteConfig } from './config.js';
import { createLogger } from './logger.js';
import { FakeCoordinator } from './fake-coordinator.test-suite.js';
import { coordinatorMessagesPath, readCoordinatorMessages } from './coordinator-messages.js';
import { recordVerifies } from './evidence.js';
import { readSignedMessages, signedMessagesPath } from './signed-messages.js';
import { removeTempDirs, siteFolder, tinyTask, type SiteFolder } from './site-fixtures.test-suite.js';

const SITE = 'northgate';
const coordinator = generateIdentity();
const rogue = generateIdentity();
let fake: FakeCoordinator;
let folder: SiteFolder;
let agent: SiteAgent;
let agentEvents: SiteAgentEvent[];
let tiny: Awaited<ReturnType<typeof tinyTask>>;
let unapproved: Awaited<ReturnType<typeof tinyTask>>;
let neverSent: Awaited<ReturnType<typeof tinyTask>>;
let weights: Float32Array;
/** What the first fake coordinator received, before the restart test replaced it. */
const earlier: Envelope[] = [];

async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want));
  return hit?.value ?? 0;
}

async function start(): Promise<SiteAgent> {
  agentEvents = [];
  return startSiteAgent(loadSiteConfig(folder.configPath), { logger: createLogger((process.env.SITE_LOG as never) ?? 'silent'), onEvent: (e) => agentEvents.push(e) });
}

const sitePublicKey = () => decodePublicKey(folder.publicKey);

async function until(test: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const cohort = [SITE, 'southbank'];
const isReply = (type: string, round: number, taskHash = tiny.hash) => (e: Envelope) =>
  e.type === type && (e.body as { round: number; taskHash: string }).round === round && (e.body as { taskHash: string }).taskHash === taskHash;

beforeAll(async () => {
  [tiny, unapproved, neverSent] = await Promise.all([tinyTask('1'), tinyTask('2'), tinyTask('3')]);
  weights = await initialWeights(tiny.task.model, tiny.task.seed);
  // Temporary URL: the fake coordinator's port is known only once the site's key is enrolled in it.
  folder = siteFolder({ site: SITE, coordinatorUrl: 'http://127.0.0.1:1', coordinatorKey: encodePublicKey(coordinator.publicKey), approved: [tiny.hash, neverSent.hash] });
  fake = await FakeCoordinator.start({ identity: coordinator, sites: { [SITE]: folder.publicKey } });
  const config = JSON.parse(readFileSync(folder.configPath, 'utf8'));
  config.coordinator.url = fake.url;
  writeFileSync(folder.configPath, JSON.stringify(config));
  agent = await start();
  await fake.ready(SITE);
});

afterAll(async () => {
  await agent?.stop();
  await fake?.close();
  removeTempDirs();
});

describe('site agent session', () => {
  it('authenticates with hello, a signed challenge and status ready with its policy summary, and says so on /metrics', async () => {
    const hello = fake.messages('hello')[0]!;
    expect(hello.body).toMatchObject({ site: SITE, publicKey: folder.publicKey });
    expect(fake.events.some((e) => e.kind === 'authenticated' && e.site === SITE)).toBe(true);
    // Two approved hashes, the fixture's minimum cohort of 2; no budget, so no ε fields.
    expect(fake.messages('status')[0]!.body).toEqual({ ready: true, policy: { minCohortSize: 2, approvedTasks: 2, acceptTasks: true }, seq: 1 });
    // Signed by the site for this session (the coordinator refuses any other).
    expect(fake.messages('status')[0]!.sig).toHaveLength(64);
    expect(agentEvents.some((e) => e.kind === 'connected' && e.url === fake.url)).toBe(true);
    const text = await (await fetch(agent.metricsUrl!)).text();
    expect(text).toMatch(/^cohort_site_connected 1$/m);
    // The process's own gauges, shown by every agent's registry.
    expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
    expect(text).toMatch(/^nodejs_active_resources_total \d+$/m);
    expect((await fetch(agent.metricsUrl!.replace('/metrics', '/other'))).status).toBe(404);
  });

  it('trains on a signed round/start and answers with an update signed by its own key', async () => {
    fake.send(SITE, createEnvelope('task/manifest', { hash: tiny.hash, json: tiny.json }));
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 1, attempt: 1, phase: 'train', cohort, weights }));
    const env = await fake.nextMessage(isReply('update/submit', 1), 'update for round 1');
    const update = env.body as UpdateSubmit;
    expect(verifyEnvelope(sitePublicKey(), env)).toBe(true);
    expect(verifyEnvelope(rogue.publicKey, env)).toBe(false);
    expect(update.site).toBe(SITE);
    expect(update.update).toHaveLength(weights.length);
    expect(update.update.some((v) => v !== 0)).toBe(true);
    expect(update.numExamples).toBeGreaterThan(10);

    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 1, attempt: 1, phase: 'evaluate', cohort, weights, config: { modelHash: hashWeights(weights) } }));
    const evalEnv = await fake.nextMessage(isReply('eval/result', 1), 'eval result for round 1');
    expect(verifyEnvelope(sitePublicKey(), evalEnv)).toBe(true);
    expect(Object.keys((evalEnv.body as EvalResult).metrics)).toEqual(expect.arrayContaining(['loss', 'accuracy']));
    // Score histograms per subgroup travel with the result, and subgroup AUCs ride in the metrics.
    const result = evalEnv.body as EvalResult;
    expect(result.stats?.overall.n).toBe(result.numExamples);
    expect(Object.keys(result.stats?.byGroup['sex'] ?? {}).sort()).toEqual(['F', 'M']);
    const bySex = Object.values(result.stats!.byGroup['sex']!).reduce((sum, c) => sum + c.n, 0);
    expect(bySex).toBe(result.numExamples);
    // A subgroup with one class only has no AUC (not finite, not sent); the other does.
    const groupAucs = Object.entries(result.metrics).filter(([name]) => name.startsWith('auc/sex='));
    expect(groupAucs.length).toBeGreaterThan(0);
    for (const [, auc] of groupAucs) {
      expect(auc).toBeGreaterThanOrEqual(0);
      expect(auc).toBeLessThanOrEqual(1);
    }
    expect(await metric(agent.metrics, 'cohort_site_rounds_total', { phase: 'train', outcome: 'completed' })).toBe(1);
    expect(await metric(agent.metrics, 'cohort_site_rounds_total', { phase: 'evaluate', outcome: 'completed' })).toBe(1);
    expect(await metric(agent.metrics, 'cohort_site_update_bytes_total')).toBeGreaterThan(weights.length * 4);
  });

  it('evaluates a committed model once: another model for the same round is refused, counted and the record kept on disk', async () => {
    const other = weights.map((w) => w + 0.5);
    const from = fake.events.length;
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 1, attempt: 2, phase: 'evaluate', cohort, weights: other, config: { modelHash: hashWeights(other) } }));
    const env = await fake.nextMessage((e) => isReply('round/refuse', 1)(e) && (e.body as RoundRefuse).attempt === 2, 'refusal of a second evaluation of round 1', from);
    expect((env.body as RoundRefuse).error.code).toBe('REPLAYED');
    expect(await metric(agent.metrics, 'cohort_messages_rejected_total', { reason: 'eval_round_repeated' })).toBe(1);
    const record = JSON.parse(readFileSync(join(folder.dir, 'state', 'evaluated-models.json'), 'utf8')) as { evaluated: { round: number; modelHash: string }[] };
    expect(record.evaluated).toEqual([expect.objectContaining({ round: 1, modelHash: hashWeights(weights) })]);
  });

  it('refuses a round/start signed by another key, counts bad_signature and does no work for it', async () => {
    const before = await metric(agent.metrics, 'cohort_messages_rejected_total', { reason: 'bad_signature' });
    const from = fake.events.length;
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 2, attempt: 1, phase: 'train', cohort, weights }, rogue.secretKey));
    const error = await fake.nextMessage((e) => e.type === 'error', 'error reply', from);
    expect(error.body).toMatchObject({ code: 'SIGNATURE_INVALID' });
    expect(await metric(agent.metrics, 'cohort_messages_rejected_total', { reason: 'bad_signature' })).toBe(before + 1);
    // The genuine announcement of the same round still works: the forged one consumed nothing.
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 2, attempt: 1, phase: 'train', cohort, weights }));
    await fake.nextMessage(isReply('update/submit', 2), 'update for round 2', from);
    expect(fake.messages().filter(isReply('update/submit', 2))).toHaveLength(1);
    expect(fake.messages().filter(isReply('round/refuse', 2))).toHaveLength(0);
  });

  it('refuses replayed and older round announcements with a signed REPLAYED refusal', async () => {
    const original = fake.messages().length;
    const again = fake.roundStart({ taskHash: tiny.hash, round: 3, attempt: 1, phase: 'train', cohort, weights });
    fake.send(SITE, again);
    await fake.nextMessage(isReply('update/submit', 3), 'update for round 3');
    const from = fake.events.length;
    fake.send(SITE, again);
    const dup = await fake.nextMessage(isReply('round/refuse', 3), 'refusal of the replayed round 3', from);
    expect((dup.body as RoundRefuse).error.code).toBe('REPLAYED');
    expect(verifyEnvelope(sitePublicKey(), dup)).toBe(true);
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 1, attempt: 1, phase: 'train', cohort, weights }));
    const old = await fake.nextMessage(isReply('round/refuse', 1), 'refusal of the older round 1', from);
    expect((old.body as RoundRefuse).error.code).toBe('REPLAYED');
    expect(await metric(agent.metrics, 'cohort_messages_rejected_total', { reason: 'duplicate' })).toBe(1);
    expect(await metric(agent.metrics, 'cohort_messages_rejected_total', { reason: 'replayed' })).toBe(1);
    expect(fake.messages().length).toBeGreaterThan(original);
  });

  it('treats a run named in the signed round config (runId) as its own replay scope', async () => {
    const from = fake.events.length;
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 1, attempt: 1, phase: 'train', cohort, weights, config: { runId: 'run-2' } }));
    const env = await fake.nextMessage((e) => e.type === 'update/submit' || e.type === 'round/refuse', 'answer to run-2 round 1', from);
    expect(env.type).toBe('update/submit');
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 1, attempt: 1, phase: 'train', cohort, weights, config: { runId: 'run-2' } }));
    const again = await fake.nextMessage((e) => e.type === 'round/refuse', 'refusal of the replayed run-2 round 1', from);
    expect((again.body as RoundRefuse).error.code).toBe('REPLAYED');
  });

  it('refuses through its policy: an unapproved task, a small cohort, an approved task whose manifest never came', async () => {
    fake.send(SITE, createEnvelope('task/manifest', { hash: unapproved.hash, json: unapproved.json }));
    fake.send(SITE, fake.roundStart({ taskHash: unapproved.hash, round: 1, attempt: 1, phase: 'train', cohort, weights }));
    const policy = await fake.nextMessage(isReply('round/refuse', 1, unapproved.hash), 'refusal of the unapproved task');
    expect((policy.body as RoundRefuse).error.code).toBe('POLICY_REFUSED');
    expect(verifyEnvelope(sitePublicKey(), policy)).toBe(true);

    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 4, attempt: 1, phase: 'train', cohort: [SITE], weights }));
    const small = await fake.nextMessage(isReply('round/refuse', 4), 'refusal of a cohort below the minimum');
    expect((small.body as RoundRefuse).error).toMatchObject({ code: 'POLICY_REFUSED', message: expect.stringMatching(/minimum of 2/) });

    fake.send(SITE, fake.roundStart({ taskHash: neverSent.hash, round: 1, attempt: 1, phase: 'train', cohort, weights }));
    const unknown = await fake.nextMessage(isReply('round/refuse', 1, neverSent.hash), 'refusal of a task without manifest');
    expect((unknown.body as RoundRefuse).error.code).toBe('TASK_INVALID');
  });

  it('refuses a manifest that does not hash to its announced hash', async () => {
    const before = await metric(agent.metrics, 'cohort_messages_rejected_total', { reason: 'task_invalid' });
    fake.send(SITE, createEnvelope('task/manifest', { hash: neverSent.hash, json: tiny.json }));
    await fake.nextMessage((e) => e.type === 'error' && e.body.code === 'TASK_INVALID', 'manifest refusal');
    expect(await metric(agent.metrics, 'cohort_messages_rejected_total', { reason: 'task_invalid' })).toBe(before + 1);
  });

  it('assembles chunked weights announced by a signed hash, and refuses chunks that do not match it', async () => {
    const { hash, chunks } = splitIntoChunks(weights, 8);
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 5, attempt: 1, phase: 'train', cohort, weights: new Float32Array(0), weightsHash: hash, weightsChunks: chunks.length }));
    // Out of order on purpose: the assembler accepts any order.
    [...chunks.keys()].reverse().forEach((index) => {
      fake.send(SITE, createEnvelope('model/chunk', { taskHash: tiny.hash, round: 5, attempt: 1, index, total: chunks.length, hash, data: chunks[index]! }));
    });
    const env = await fake.nextMessage(isReply('update/submit', 5), 'update for chunked round 5');
    expect((env.body as UpdateSubmit).update).toHaveLength(weights.length);

    // Another model (this site holds round 5's, so it would not wait for chunks of that one).
    const next = splitIntoChunks(weights.map((w) => w + 1), 8);
    const tampered = next.chunks.map((c) => c.slice());
    tampered[0]![0] = tampered[0]![0]! ^ 0xff;
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 6, attempt: 1, phase: 'train', cohort, weights: new Float32Array(0), weightsHash: next.hash, weightsChunks: next.chunks.length }));
    tampered.forEach((data, index) => fake.send(SITE, createEnvelope('model/chunk', { taskHash: tiny.hash, round: 6, attempt: 1, index, total: next.chunks.length, hash: next.hash, data })));
    const refused = await fake.nextMessage(isReply('round/refuse', 6), 'refusal of a tampered model');
    expect((refused.body as RoundRefuse).error).toMatchObject({ code: 'MESSAGE_INVALID', message: 'model hash mismatch' });
    expect(await metric(agent.metrics, 'cohort_messages_rejected_total', { reason: 'hash' })).toBe(1);

    // Round 5's model again, announced by its signed hash without chunks (protocol 2.1): the site
    // answered round 5, so it holds that model and trains on it.
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 6, attempt: 2, phase: 'train', cohort, weights: new Float32Array(0), weightsHash: hash, weightsChunks: chunks.length }));
    const held = await fake.nextMessage((e) => e.type === 'update/submit' && (e.body as UpdateSubmit).round === 6 && (e.body as UpdateSubmit).attempt === 2, 'update for round 6 attempt 2 from the held model');
    expect((held.body as UpdateSubmit).update).toHaveLength(weights.length);
  });

  it('refuses a chunked round of an unapproved task before receiving its model, dropping the chunks quietly', async () => {
    const { hash, chunks } = splitIntoChunks(weights, 8);
    const unexpectedBefore = await metric(agent.metrics, 'cohort_messages_rejected_total', { reason: 'unexpected' });
    fake.send(SITE, fake.roundStart({ taskHash: unapproved.hash, round: 2, attempt: 1, phase: 'train', cohort, weights: new Float32Array(0), weightsHash: hash, weightsChunks: chunks.length }));
    chunks.forEach((data, index) => fake.send(SITE, createEnvelope('model/chunk', { taskHash: unapproved.hash, round: 2, attempt: 1, index, total: chunks.length, hash, data })));
    const refused = await fake.nextMessage(isReply('round/refuse', 2, unapproved.hash), 'refusal of the unapproved chunked round');
    expect((refused.body as RoundRefuse).error.code).toBe('POLICY_REFUSED');
    // A chunk that belongs to no announced round is still refused.
    fake.send(SITE, createEnvelope('model/chunk', { taskHash: tiny.hash, round: 99, attempt: 1, index: 0, total: 1, hash, data: chunks[0]! }));
    await fake.nextMessage((e) => e.type === 'error' && e.body.message === 'model/chunk without a chunked round/start', 'stray chunk error');
    expect(await metric(agent.metrics, 'cohort_messages_rejected_total', { reason: 'unexpected' })).toBe(unexpectedBefore + 1);
  });

  it('answers a malformed frame with an error and counts it, staying connected', async () => {
    const from = fake.events.length;
    fake.sendRaw(SITE, new Uint8Array([0xc1, 0x00, 0x01]));
    const error = await fake.nextMessage((e) => e.type === 'error' && e.body.code === 'MESSAGE_INVALID', 'malformed-frame error', from);
    expect(error.body).toMatchObject({ message: 'malformed msgpack frame' });
    expect(await metric(agent.metrics, 'cohort_messages_rejected_total', { reason: 'malformed' })).toBe(1);
    expect(await metric(agent.metrics, 'cohort_site_connected')).toBe(1);
  });

  it('reconnects and re-authenticates after the coordinator restarts on the same port', async () => {
    const port = fake.port;
    earlier.push(...fake.messages());
    await fake.close();
    await new Promise<void>((resolve, reject) => {
      const end = Date.now() + 10_000;
      const poll = () => (agentEvents.some((e) => e.kind === 'disconnected') ? resolve() : Date.now() > end ? reject(new Error('no disconnect')) : setTimeout(poll, 20));
      poll();
    });
    expect(await metric(agent.metrics, 'cohort_site_connected')).toBe(0);
    fake = await FakeCoordinator.start({ identity: coordinator, sites: { [SITE]: folder.publicKey }, port });
    await fake.ready(SITE);
    expect(fake.events.some((e) => e.kind === 'authenticated' && e.site === SITE)).toBe(true);
    expect(agentEvents.filter((e) => e.kind === 'connected')).toHaveLength(2);
    expect(await metric(agent.metrics, 'cohort_site_connected')).toBe(1);
    // The new session works end to end; the task's data is not loaded again (same hash).
    fake.send(SITE, createEnvelope('task/manifest', { hash: tiny.hash, json: tiny.json }));
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 7, attempt: 1, phase: 'train', cohort, weights }));
    await fake.nextMessage(isReply('update/submit', 7), 'update after the restart');
    expect(agentEvents.filter((e) => e.kind === 'manifest' && e.taskHash === tiny.hash)).toHaveLength(1);
  });

  it('keeps its replay history across an agent restart (state.json)', async () => {
    const statePath = join(folder.dir, 'state', 'state.json');
    // Not rewritten for every round/start (its journal is the record of each): written at a clean stop.
    await agent.stop();
    expect(existsSync(statePath)).toBe(true);
    const saved = JSON.parse(readFileSync(statePath, 'utf8'));
    expect(saved.lastRound).toMatchObject({ taskHash: tiny.hash, round: 7, attempt: 1, phase: 'train' });
    agent = await start();
    await fake.waitFor((e) => e.kind === 'authenticated' && fake.events.filter((x) => x.kind === 'authenticated').length === 2, 'second authentication');
    const from = fake.events.length;
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 7, attempt: 1, phase: 'train', cohort, weights }));
    const refused = await fake.nextMessage(isReply('round/refuse', 7), 'refusal of round 7 after the agent restart', from);
    expect((refused.body as RoundRefuse).error.code).toBe('REPLAYED');
  });

  it('does not send what it cannot record: the record file unwritable, the round is answered with nothing', async () => {
    const path = signedMessagesPath(join(folder.dir, 'state'));
    renameSync(path, `${path}.aside`);
    // A folder where the file should be: every append fails (also as root, unlike a read-only file).
    mkdirSync(path);
    try {
      // This agent was restarted: it needs the manifest again, or round 8 would be a refusal anyway.
      fake.send(SITE, createEnvelope('task/manifest', { hash: tiny.hash, json: tiny.json }));
      fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 8, attempt: 1, phase: 'train', cohort, weights }));
      await until(() => agentEvents.some((e) => e.kind === 'replied' && e.reply.round === 8), 'the agent giving up on round 8');
      const replied = agentEvents.find((e) => e.kind === 'replied' && e.reply.round === 8);
      // The update could not be recorded; the refusal standing in for it could not be either.
      expect(replied).toMatchObject({ reply: { type: 'round/refuse', error: { code: 'INTERNAL', message: 'the site could not record its answer, so it did not send it' } }, delivered: false });
    } finally {
      rmdirSync(path);
      renameSync(`${path}.aside`, path);
    }
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 9, attempt: 1, phase: 'train', cohort, weights }));
    await fake.nextMessage(isReply('update/submit', 9), 'update for round 9');
    // Frames arrive in order: nothing for round 8 came before round 9's answer.
    expect(fake.messages().filter((e) => (e.body as { round?: number }).round === 8 && e.type !== 'round/start')).toEqual([]);
  });

  it('does not act on a coordinator-signed message it cannot record: the round is refused', async () => {
    const path = coordinatorMessagesPath(join(folder.dir, 'state'));
    renameSync(path, `${path}.aside`);
    mkdirSync(path);
    const before = await metric(agent.metrics, 'cohort_messages_rejected_total', { reason: 'unrecorded' });
    try {
      fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 10, attempt: 1, phase: 'train', cohort, weights }));
      const refusal = await fake.nextMessage(isReply('round/refuse', 10), 'refusal of round 10');
      expect((refusal.body as RoundRefuse).error).toEqual({ code: 'INTERNAL', message: 'the site could not record the coordinator-signed round/start, so it did not act on it' });
    } finally {
      rmdirSync(path);
      renameSync(`${path}.aside`, path);
    }
    expect(await metric(agent.metrics, 'cohort_messages_rejected_total', { reason: 'unrecorded' })).toBe(before + 1);
    expect(fake.messages().filter(isReply('update/submit', 10))).toEqual([]);
  });

  it('kept a self-verifying record of every coordinator-signed message it acted on', () => {
    const state = join(folder.dir, 'state');
    expect(statSync(coordinatorMessagesPath(state)).mode & 0o777).toBe(0o600);
    const { records, damaged } = readCoordinatorMessages(state);
    expect(damaged).toEqual([]);
    expect(records.length).toBeGreaterThan(5);
    for (const r of records) {
      expect(r).toMatchObject({ site: SITE, type: 'round/start', context: { site: 'coordinator' } });
      // Checkable offline with the coordinator's key alone, and with no other key.
      expect(recordVerifies(coordinator.publicKey, r)).toBe(true);
      expect(recordVerifies(rogue.publicKey, r)).toBe(false);
      // Small: digests and a signature, never the weights.
      expect(JSON.stringify(r).length).toBeLessThan(2000);
    }
    // Every record verifies with the coordinator key (above): the forged round/start was refused, not recorded.
    expect(records.some((r) => r.context.taskHash === tiny.hash && r.round === 2 && r.context.phase === 'train')).toBe(true);
    expect(records.find((r) => r.run === 'run-2')).toBeDefined();
  });

  it('kept a record of every signed message it sent, with the digest the coordinator computes', () => {
    const path = signedMessagesPath(join(folder.dir, 'state'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const { records, damaged } = readSignedMessages(join(folder.dir, 'state'));
    expect(damaged).toEqual([]);
    const sent = [...earlier, ...fake.messages()].filter((e) => isSignedType(e.type) && e.type !== 'round/start');
    expect(sent.length).toBeGreaterThan(10);
    expect(records.length).toBe(sent.length);
    for (const env of sent) {
      // Exactly what the coordinator logs: the digest of the decoded message, re-encoded.
      const context = signingContext(env);
      const digest = auditDigestHex(signingDigest(context, encodeBody(env.body)));
      const body = env.body as { round: number; attempt: number };
      expect(records).toContainEqual({ at: expect.any(Number), run: null, type: env.type, round: body.round, attempt: body.attempt, phase: context.phase, digest });
    }
    // The run named in the signed round config is the record's run.
    expect(records.filter((r) => r.run === 'run-2').map((r) => r.type)).toEqual(['update/submit', 'round/refuse']);
  });
  it('refuses a replay after a crash: state.json behind, the round/start in its journal (coordinator-messages.jsonl)', async () => {
    const statePath = join(folder.dir, 'state', 'state.json');
    const before = readFileSync(statePath, 'utf8');
    // This agent was restarted: it needs the manifest again.
    fake.send(SITE, createEnvelope('task/manifest', { hash: tiny.hash, json: tiny.json }));
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 70, attempt: 1, phase: 'train', cohort, weights }));
    await fake.nextMessage(isReply('update/submit', 70), 'update for round 70');
    // Acting on round 70 rewrote no state.json: the record of the announcement made it durable.
    expect(readFileSync(statePath, 'utf8')).toBe(before);
    // A crash leaves state.json as it was before round 70 (the clean stop's checkpoint is undone).
    const authenticated = () => fake.events.filter((x) => x.kind === 'authenticated').length;
    const logins = authenticated();
    await agent.stop();
    writeFileSync(statePath, before);
    agent = await start();
    await fake.waitFor((e) => e.kind === 'authenticated' && authenticated() === logins + 1, 'authentication after the restart');
    const from = fake.events.length;
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 70, attempt: 1, phase: 'train', cohort, weights }));
    const refused = await fake.nextMessage(isReply('round/refuse', 70), 'refusal of round 70 after the crash', from);
    expect((refused.body as RoundRefuse).error.code).toBe('REPLAYED');
    // An older round is refused too (the guard's order came back from the journal), and the checkpoint caught up.
    fake.send(SITE, fake.roundStart({ taskHash: tiny.hash, round: 69, attempt: 1, phase: 'train', cohort, weights }));
    const older = await fake.nextMessage(isReply('round/refuse', 69), 'refusal of round 69', from);
    expect((older.body as RoundRefuse).error.code).toBe('REPLAYED');
    expect(JSON.parse(readFileSync(statePath, 'utf8')).lastRound).toMatchObject({ round: 70, phase: 'train' });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { AUDIT_FORMAT, decodePublicKey, encodePublicKey, generateIdentity, verifyAuditLog } from '@cohortfl/identity';
import { initialWeights } from '@cohortfl/ml';
import { parseManifest, type BuiltManifest } from '@cohortfl/sdk';
import { createEnvelope, type Envelope, type RoundStart } from '@cohortfl/wire';
import type { RunningCoordinator } from './coordinator.js';
import { FakeSite, type Behavior } from './fake-site.test-suite.js';
import { adminToken, api, enroll, makeDataDir, metric, publish, removeDataDirs, startTest, tinyTask, waitUntil, withStore } from './fixtures.test-suite.js';
import type { StartCoordinatorOptions } from './coordinator.js';

let dataDir: string;
let c: RunningCoordinator | undefined;
let sites: FakeSite[] = [];

afterEach(async () => {
  for (const s of sites) s.close();
  sites = [];
  await c?.close();
  c = undefined;
  removeDataDirs();
});

async function federation(task: BuiltManifest, options: Omit<StartCoordinatorOptions, 'dataDir'>, behaviors: Record<string, Behavior>) {
  dataDir = await makeDataDir();
  publish(dataDir, task);
  const identities = Object.keys(behaviors).map((name) => ({ name, identity: generateIdentity() }));
  for (const { name, identity } of identities) enroll(dataDir, name, encodePublicKey(identity.publicKey));
  c = await startTest(dataDir, options);
  const key = decodePublicKey(c.publicKey);
  for (const { name, identity } of identities) {
    const s = new FakeSite(c.url, name, identity);
    sites.push(s);
    await s.join(key, behaviors[name]);
  }
  return { key, token: adminToken(dataDir) };
}

async function runToEnd(token: string, rounds: number, taskName = 'tiny'): Promise<any> {
  const started = await api(c!, '/api/runs', { method: 'POST', token, body: { task: taskName, rounds } });
  expect(started.status).toBe(201);
  return waitUntil(async () => {
    const r = await api(c!, `/api/runs/${started.json.id}`, { token });
    return r.json.run.status === 'completed' ? r.json : undefined;
  }, 'run completion', 20_000);
}

const rejected = (reason: string) => metric(c!, 'cohort_messages_rejected_total', `reason="${reason}"`);

describe('a run over real socket.io', () => {
  it('a site message signed in one run is refused in a later run of the same task (signatures bind the run)', async () => {
    const task = await tinyTask();
    let replay: Envelope | undefined;
    const { token } = await federation(task, {}, {
      'site-a': {
        delta: 0.01,
        // In the second run, first resend the first run's round 1 update: same task, round and attempt.
        before: (start, site) => {
          if (replay && start.phase === 'train' && start.round === 1) site.sendUnchecked(replay);
        },
      },
      'site-b': { delta: 0.03 },
    });
    await runToEnd(token, 1);
    replay = sites[0]!.answers.find((e) => e.type === 'update/submit')!;
    const second = await runToEnd(token, 1);
    expect(second.rounds[0].trained).toEqual(['site-a', 'site-b']);
    // The replay fails the run-bound signature; the site's own answer is then accepted, not refused as a duplicate.
    expect(await rejected('bad_signature')).toBe(1);
    expect(await rejected('duplicate')).toBe(0);
  });

  it('completes N rounds with chunked, signed round/starts; every round is stored with its checkpoint', async () => {
    const task = await tinyTask();
    const { token } = await federation(task, { limits: { chunkBytes: 8 } }, { 'site-a': { delta: 0.01 }, 'site-b': { delta: 0.03 } });
    const report = await runToEnd(token, 3);
    expect(report.rounds.map((r: { round: number; attempt: number; trained: string[] }) => [r.round, r.attempt, r.trained])).toEqual([
      [1, 1, ['site-a', 'site-b']],
      [2, 1, ['site-a', 'site-b']],
      [3, 1, ['site-a', 'site-b']],
    ]);
    expect(report.rounds[2].perSite).toEqual([
      { site: 'site-a', numExamples: 10, metrics: { auc: 0.75, loss: 0.4 } },
      { site: 'site-b', numExamples: 10, metrics: { auc: 0.75, loss: 0.4 } },
    ]);
    // The completed rounds set the evaluation gauges (these fake sites send no histograms: no pooled AUC).
    expect(await metric(c!, 'cohort_site_auc', 'site="site-a"')).toBe(0.75);
    expect(await metric(c!, 'cohort_worst_site_auc')).toBe(0.75);
    // FedAvg of +0.01 and +0.03 with equal weights: +0.02 per round.
    const start = await initialWeights(parseManifest(task.json, task.hash).manifest.task.model, 11);
    const last = withStore(dataDir, (store) => {
      expect(store.completedRounds(report.run.id)).toHaveLength(3);
      return store.lastCheckpoint(report.run.id)!;
    });
    expect(last.round).toBe(3);
    // The audit log: the run start, every accepted site message with its signing digest, every completed round.
    const audit = withStore(dataDir, (store) => ({ entries: store.listAudit(), rounds: store.completedRounds(report.run.id) }));
    const verdict = verifyAuditLog({ format: AUDIT_FORMAT, coordinatorPublicKey: c!.publicKey, entries: audit.entries }, { coordinatorPublicKey: decodePublicKey(c!.publicKey) });
    expect(verdict.ok).toBe(true);
    expect(audit.entries[0]).toMatchObject({ seq: 1, kind: 'run.started', data: { run: report.run.id, taskHash: task.hash, rounds: 3 } });
    const accepted = audit.entries.filter((e) => e.kind === 'message.accepted');
    expect(accepted).toHaveLength(12); // 2 sites × (train + evaluate) × 3 rounds
    for (const e of accepted) expect(e.data).toMatchObject({ type: expect.stringMatching(/^(update\/submit|eval\/result)$/), digest: expect.stringMatching(/^[0-9a-f]{128}$/) });
    expect(new Set(accepted.map((e) => (e.data as { digest: string }).digest)).size).toBe(12);
    expect(audit.entries.filter((e) => e.kind === 'round.completed').map((e) => e.data)).toEqual(
      audit.rounds.map((r) => ({ run: r.runId, round: r.round, attempt: r.attempt, trained: r.trained, failures: r.failures, checkpointSha256: r.weightsSha256, evalMetrics: r.evalMetrics })),
    );
    [...last.weights].forEach((w, i) => expect(w).toBeCloseTo(start[i]! + 0.06, 5));

    for (const s of sites) {
      expect(s.badStarts).toBe(0);
      expect(s.inbox.find((e) => e.type === 'task/manifest')?.body).toEqual({ hash: task.hash, json: task.json });
      const starts = s.inbox.filter((e): e is Extract<Envelope, { type: 'round/start' }> => e.type === 'round/start');
      expect(starts).toHaveLength(6); // train + evaluate × 3
      expect(starts.every((e) => e.body.weights.length === 0 && e.body.weightsChunks === 2)).toBe(true); // 12 bytes in 8-byte chunks
      // Each round after the first trains from the model the site evaluated: no chunks for it (protocol 2.1).
      expect(s.inbox.filter((e) => e.type === 'model/chunk')).toHaveLength(2 * 4);
      expect(s.starts[0]!.weights).toEqual(start); // round 1 trains from the task's initial weights, reassembled
      expect(s.starts[2]!.weights).toEqual(s.starts[1]!.weights); // round 2 trains on what round 1 evaluated
    }
    expect(await metric(c!, 'cohort_rounds_total', 'outcome="completed"')).toBe(3);
    expect(await metric(c!, 'cohort_update_bytes_total')).toBeGreaterThan(0);
    const status = await api(c!, '/api/status', { token });
    expect(status.json).toMatchObject({ run: { status: 'completed', rounds: 3 }, phase: 'done', lastRound: { round: 3, evalMetrics: { auc: 0.75 } } });
  });

  it('refuses a forged update signature (bad_signature); the round goes on with the other site', async () => {
    const forger = generateIdentity();
    const task = await tinyTask({ minSites: 1 });
    const forge: Behavior = {
      before: (start: RoundStart, site) => {
        if (start.phase !== 'train') return;
        const update = new Float32Array(3).fill(5);
        site.send(site.sign(createEnvelope('update/submit', site.updateBody(start, update)), forger));
        return 'silent';
      },
    };
    const { token } = await federation(task, { timeouts: { train: 1, evaluate: 5 } }, { honest: {}, forger: forge });
    const report = await runToEnd(token, 1);
    const round = report.rounds[0];
    expect(round.trained).toEqual(['honest']);
    expect(round.failures).toEqual([{ site: 'forger', reason: 'TIMEOUT', message: expect.any(String) }]);
    expect(round.perSite.map((p: { site: string }) => p.site)).toEqual(['forger', 'honest']);
    expect(await rejected('bad_signature')).toBe(1);
    const forgerSite = sites.find((s) => s.name === 'forger')!;
    expect(forgerSite.inbox.some((e) => e.type === 'error' && e.body.code === 'SIGNATURE_INVALID')).toBe(true);
    expect(forgerSite.disconnected).toBe(false);
    // A signature that does not verify names no message the site signed: it is counted, and
    // written aggregated (one `refusals` entry per site and reason) when the server flushes or stops.
    expect(withStore(dataDir, (store) => store.listAudit().filter((e) => e.kind === 'message.refused'))).toEqual([]);
    await c!.close();
    c = undefined;
    const refused = withStore(dataDir, (store) => store.listAudit().filter((e) => e.kind === 'refusals'));
    expect(refused.map((e) => [e.site, e.data])).toEqual([['forger', { reason: 'bad_signature', code: 'SIGNATURE_INVALID', count: 1, from: expect.any(Number), to: expect.any(Number) }]]);
  });

  it('refuses a NaN update, a duplicate and a replayed earlier-round update; the run completes', async () => {
    const task = await tinyTask();
    const first = new Map<string, Envelope>();
    const nanThenGood: Behavior = {
      before: (start, site) => {
        if (start.phase !== 'train' || start.round !== 1) return;
        const update = new Float32Array(3).fill(0.01);
        update[1] = Number.NaN;
        // Signed correctly: the refusal must come from the NaN, not the signature. Our own codec would refuse to encode it.
        site.sendUnchecked(site.sign(createEnvelope('update/submit', site.updateBody(start, update))));
      },
      after: (start, sent, site) => {
        if (start.phase !== 'train') return;
        if (start.round === 1) first.set(site.name, sent);
        else site.send(first.get(site.name)!); // round 1's update again, during round 2
      },
    };
    const twice: Behavior = {
      after: (start, sent, site) => {
        if (start.phase === 'train' && start.round === 1) site.send(sent);
      },
    };
    const { token } = await federation(task, {}, { 'site-a': twice, 'site-b': nanThenGood });
    const report = await runToEnd(token, 2);
    expect(report.rounds.map((r: { trained: string[] }) => r.trained)).toEqual([['site-a', 'site-b'], ['site-a', 'site-b']]);
    const b = sites.find((s) => s.name === 'site-b')!;
    const a = sites.find((s) => s.name === 'site-a')!;
    await b.next((e) => e.type === 'error' && e.body.code === 'REPLAYED', 'replay refusal');
    expect(await rejected('non_finite')).toBe(1);
    expect(await rejected('duplicate')).toBe(1);
    expect(await rejected('replayed')).toBe(1);
    expect(a.inbox.filter((e) => e.type === 'error').map((e) => e.body)).toEqual([{ code: 'REPLAYED', message: expect.any(String) }]);
    const bErrors = b.inbox.filter((e) => e.type === 'error').map((e) => e.type === 'error' && e.body.code);
    expect(bErrors).toEqual(['MESSAGE_INVALID', 'REPLAYED']);
  });
});

import { describe, expect, it } from 'vitest';
import { encodePublicKey, generateIdentity } from '@cohortfl/identity';
import { createFedAvg, createFedMedian } from '@cohortfl/strategies';
import type { CoordinatorMessage, SiteMessage } from '@cohortfl/wire';
import { CoordinatorRun } from './coordinator-run.js';
import type { CoordinatorAction, RoundRecord } from './actions.js';
import { SiteRunner, type SiteWork } from './site-runner.js';
import { SECURE_STEPS, type SecureStep } from './secure-train.js';
import { createMembership } from './membership.js';
import { NoisePool } from './noise-pool.js';
import type { RoundPrivacy } from './privacy-settings.js';

const TASK = '7'.repeat(64);
const SITES = ['a', 'b', 'c', 'd', 'e'];
const ids = new Map(SITES.map((s) => [s, generateIdentity()]));
const membership = createMembership(SITES.map((site) => ({ site, identityKey: encodePublicKey(ids.get(site)!.publicKey) })));
// Site i trains to an update of (i + 1) / 10 in every coordinate, on (i + 1) × 10 records.
const delta = (i: number) => (i + 1) / 10;

function work(i: number): SiteWork {
  return {
    load: async () => undefined,
    train: async (start) => ({ update: new Float32Array(start.weights.length).fill(delta(i)), numExamples: (i + 1) * 10, metrics: { loss: 0.1 * (i + 1) } }),
    evaluate: async () => ({ numExamples: 5, metrics: { auc: 0.5 + i / 100 } }),
  };
}

function setup(minSites = 3, dp?: { privacy: RoundPrivacy; pools: Map<string, NoisePool> }) {
  const run = new CoordinatorRun({
    taskHash: TASK,
    strategy: createFedAvg(),
    initialWeights: new Float32Array(6),
    rounds: dp ? 2 : 1,
    minSites,
    seed: 1,
    timeoutMs: { train: 1000, evaluate: 1000 },
    secureAggregation: { clip: 5, weightScale: 1000, stepTimeoutMs: 500, membership },
    ...(dp ? { privacy: dp.privacy } : {}),
  });
  const policy = { acceptTasks: true, approvedTaskHashes: [TASK], minCohortSize: 2 };
  const runners = new Map(
    SITES.map((s, i) => [s, new SiteRunner({ site: s, policy, work: work(i), identitySecretKey: ids.get(s)!.secretKey, membership, ...(dp ? { noisePool: dp.pools.get(s)! } : {}) })]),
  );
  return { run, runners };
}

function stepOf(m: CoordinatorMessage): SecureStep | 'evaluate' {
  if (m.type === 'round/start') return m.phase === 'train' ? 'keys' : 'evaluate';
  return ({ 'secagg/roster': 'shares', 'secagg/relay': 'masked', 'secagg/survivors': 'attest', 'secagg/unmask': 'reveal' } as const)[m.type];
}

/** Drive one attempt; `silent(site, step)` says who stays silent at which step. */
async function drive(run: CoordinatorRun, runners: Map<string, SiteRunner>, silent: (site: string, step: string) => boolean, now = 0) {
  let actions: CoordinatorAction[] = run.startRound(now, SITES);
  const out: { records: RoundRecord[]; failed: string[]; sent: SiteMessage[] } = { records: [], failed: [], sent: [] };
  while (actions.length > 0) {
    const next: CoordinatorAction[] = [];
    for (const a of actions) {
      if (a.kind === 'round-complete') out.records.push(a.record);
      if (a.kind === 'round-failed') out.failed.push(`${a.code}: ${a.message}`);
    }
    const sends = actions.filter((a): a is Extract<CoordinatorAction, { kind: 'send' }> => a.kind === 'send');
    const timer = actions.find((a) => a.kind === 'timer');
    for (const s of sends) {
      if (silent(s.to, stepOf(s.message))) continue;
      const reply = await runners.get(s.to)!.handle(structuredClone(s.message));
      out.sent.push(reply);
      now += 1;
      next.push(...run.receive(now, s.to, structuredClone(reply)));
    }
    if (timer?.kind === 'timer' && sends.length > 0 && !next.some((a) => a.kind === 'send' || a.kind === 'round-complete' || a.kind === 'round-failed')) {
      now = timer.at;
      next.push(...run.tick(now));
    }
    actions = next;
  }
  return out;
}

function weightedMean(sites: string[]): number {
  const idx = sites.map((s) => SITES.indexOf(s));
  const n = idx.reduce((t, i) => t + (i + 1) * 10, 0);
  return idx.reduce((t, i) => t + delta(i) * (i + 1) * 10, 0) / n;
}

describe('a secure round on the round engine', () => {
  it('aggregates only the sum: no plaintext update ever leaves a site', async () => {
    const { run, runners } = setup();
    const { records, sent } = await drive(run, runners, () => false);
    expect(records).toHaveLength(1);
    expect(sent.some((m) => m.type === 'update/submit')).toBe(false);
    expect(records[0]!.trained).toEqual(SITES);
    for (const w of records[0]!.weights) expect(w).toBeCloseTo(weightedMean(SITES), 4);
    expect(records[0]!.trainMetrics.loss).toBeCloseTo((0.1 * 10 + 0.2 * 20 + 0.3 * 30 + 0.4 * 40 + 0.5 * 50) / 150, 4);
  });

  for (const step of SECURE_STEPS) {
    it(`completes when a site drops in the ${step} step`, async () => {
      const { run, runners } = setup();
      const { records } = await drive(run, runners, (site, s) => site === 'c' && s === step);
      expect(records).toHaveLength(1);
      // A site that sent its masked input is in the sum even if it vanishes while unmasking.
      const inSum = step === 'reveal' || step === 'attest';
      const included = inSum ? SITES : SITES.filter((s) => s !== 'c');
      expect(records[0]!.trained).toEqual(included);
      expect(records[0]!.failures.map((f) => f.site)).toEqual(inSum ? [] : ['c']);
      for (const w of records[0]!.weights) expect(w).toBeCloseTo(weightedMean(included), 4);
    });
  }

  it('with site-level DP, a site draws the next round\'s noise ahead and uses it once', async () => {
    const privacy: RoundPrivacy = { unit: 'site', clip: 1, noiseMultiplier: 1, delta: 1e-5, rounds: 2, minSites: 2 };
    const pools = new Map(SITES.map((s) => [s, new NoisePool()]));
    const { run, runners } = setup(3, { privacy, pools });
    const first = await drive(run, runners, () => false);
    expect(first.records).toHaveLength(1);
    for (const [site, runner] of runners) {
      expect(pools.get(site)!.stats).toEqual({ taken: 1, preDrawn: 0 });
      // What the site agent does after its reveal, while it waits for the next round.
      expect(runner.prepareNoise(4)).toBe(false);
      expect(runner.prepareNoise()).toBe(true);
      expect(pools.get(site)!.size).toBe(1);
    }
    const second = await drive(run, runners, () => false, 10_000);
    expect(second.records).toHaveLength(1);
    expect(second.records[0]!.round).toBe(2);
    for (const pool of pools.values()) {
      expect(pool.stats).toEqual({ taken: 2, preDrawn: 1 });
      expect(pool.size).toBe(0);
    }
  });

  it('aborts cleanly below the threshold, then runs a fresh attempt with new keys', async () => {
    const { run, runners } = setup(2);
    const first = await drive(run, runners, (site, s) => ['a', 'b', 'c'].includes(site) && s === 'masked');
    expect(first.records).toHaveLength(0);
    expect(first.failed[0]).toMatch(/^SECAGG_ABORTED/);
    expect(Array.from(run.globalWeights)).toEqual(new Array(6).fill(0));
    const second = await drive(run, runners, () => false, 10_000);
    expect(second.records).toHaveLength(1);
    expect(second.records[0]!.attempt).toBe(2);
    const keys = (m: SiteMessage[]) => m.filter((x) => x.type === 'secagg/keys').map((x) => Buffer.from((x as { sPk: Uint8Array }).sPk).toString('hex'));
    expect(keys(second.sent).some((k) => keys(first.sent).includes(k))).toBe(false);
  });

  it('refuses a plaintext update during a secure round', async () => {
    const { run } = setup();
    const starts = run.startRound(0, SITES).filter((a) => a.kind === 'send');
    const start = (starts[0] as Extract<CoordinatorAction, { kind: 'send' }>).message as Extract<CoordinatorMessage, { type: 'round/start' }>;
    const out = run.receive(1, 'a', { type: 'update/submit', taskHash: TASK, round: 1, attempt: 1, site: 'a', update: new Float32Array(6), numExamples: 10, metrics: {} });
    expect(start.config.secagg).toBe(true);
    expect(out).toEqual([expect.objectContaining({ kind: 'rejected', reason: 'WRONG_PHASE' })]);
  });

  it('refuses robust aggregators and single-site federations with secure aggregation', () => {
    const base = { taskHash: TASK, initialWeights: new Float32Array(2), rounds: 1, seed: 1, timeoutMs: { train: 1, evaluate: 1 } };
    const secureAggregation = { clip: 1, weightScale: 10, stepTimeoutMs: 1, membership };
    expect(() => new CoordinatorRun({ ...base, minSites: 2, strategy: createFedMedian(), secureAggregation })).toThrow(/needs each site's update/);
    expect(() => new CoordinatorRun({ ...base, minSites: 1, strategy: createFedAvg(), secureAggregation })).toThrow(/minSites/);
  });

  it('a site refuses a roster with an unpinned key, a forged key signature, or a threshold below the colluder rule', async () => {
    const { run, runners } = setup();
    const actions = run.startRound(0, SITES);
    const start = (actions.find((a) => a.kind === 'send') as Extract<CoordinatorAction, { kind: 'send' }>).message;
    const replies = new Map<string, SiteMessage>();
    for (const s of SITES) replies.set(s, await runners.get(s)!.handle(structuredClone({ ...start })));
    const keys = [...replies.values()] as Extract<SiteMessage, { type: 'secagg/keys' }>[];
    const roster = (tamper: (e: { site: string; keySig: Uint8Array; identityKey: string }, i: number) => void, threshold = 4) => {
      const entries = keys.map((k) => ({ site: k.site, cPk: k.cPk, sPk: k.sPk, keySig: k.keySig, identityKey: encodePublicKey(ids.get(k.site)!.publicKey) }));
      entries.forEach(tamper);
      return { type: 'secagg/roster' as const, taskHash: TASK, round: 1, attempt: 1, threshold, degree: 0, colluders: 1, membership: membership.digest, roster: entries };
    };
    const fresh = async (site: string) => {
      const runner = setup().runners.get(site)!;
      await runner.handle(structuredClone(start));
      return runner;
    };
    const swapped = await runners.get('a')!.handle(roster((e, i) => { if (i === 1) e.identityKey = encodePublicKey(generateIdentity().publicKey); }));
    expect(swapped).toMatchObject({ type: 'round/refuse', error: { code: 'POLICY_REFUSED', message: expect.stringMatching(/other than its pinned one/) } });
    const forged = await (await fresh('c')).handle(roster((e, i) => { if (i === 1) e.keySig = new Uint8Array(64); }));
    expect(forged).toMatchObject({ type: 'round/refuse', error: { code: 'SIGNATURE_INVALID' } });
    // 5 holders, 1 colluder: t = 3 would let two survivor sets each gather 3 signatures.
    const low = await (await fresh('b')).handle(roster(() => undefined, 3));
    expect(low).toMatchObject({ type: 'round/refuse', error: { code: 'POLICY_REFUSED', message: expect.stringMatching(/threshold 3 is below 4/) } });
    const safe = await runners.get('d')!.handle(roster(() => undefined, 4));
    expect(safe.type).toBe('secagg/shares');
  });
});

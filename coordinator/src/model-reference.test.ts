/**
 * Protocol 2.1: a round/start names by SHA-256 a model the site already holds (it answered the
 * round/start that carried it, in this session) and sends the weights only otherwise.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodePublicKey, encodePublicKey, generateIdentity, type Identity } from '@cohortfl/identity';
import { hashWeights, isModelReference, type Envelope, type RoundStart } from '@cohortfl/wire';
import type { RunningCoordinator } from './coordinator.js';
import { FakeSite, type Behavior } from './fake-site.test-suite.js';
import { adminToken, api, enroll, makeDataDir, publish, removeDataDirs, startTest, tinyTask, waitUntil } from './fixtures.test-suite.js';

let c: RunningCoordinator | undefined;
let sites: FakeSite[] = [];

afterEach(async () => {
  for (const s of sites) s.close();
  sites = [];
  await c?.close();
  c = undefined;
  removeDataDirs();
});

async function setup(rounds: number, names: string[], minSites = 2) {
  const dataDir = await makeDataDir();
  publish(dataDir, await tinyTask({ rounds, minSites }));
  const identities = new Map<string, Identity>(names.map((n) => [n, generateIdentity()]));
  for (const [name, identity] of identities) enroll(dataDir, name, encodePublicKey(identity.publicKey));
  c = await startTest(dataDir);
  return { key: decodePublicKey(c.publicKey), token: adminToken(dataDir), identities };
}

async function join(name: string, identity: Identity, key: Uint8Array, behavior: Behavior = {}, protocolVersion?: string): Promise<FakeSite> {
  const s = new FakeSite(c!.url, name, identity);
  sites.push(s);
  await s.join(key, behavior, protocolVersion ? { protocolVersion } : {});
  return s;
}

async function run(token: string, rounds: number): Promise<void> {
  const started = await api(c!, '/api/runs', { method: 'POST', token, body: { task: 'tiny', rounds } });
  expect(started.status).toBe(201);
  await waitUntil(async () => {
    const r = await api(c!, `/api/runs/${started.json.id}`, { token });
    return r.json.run.status === 'completed' ? true : undefined;
  }, 'run completion', 20_000);
}

/** The round/starts a site received, in order, as they came over the wire. */
const startsOf = (s: FakeSite): RoundStart[] => s.inbox.filter((e): e is Extract<Envelope, { type: 'round/start' }> => e.type === 'round/start').map((e) => e.body);
const label = (st: RoundStart) => `${st.round}/${st.phase}`;

describe('round/start by model reference (protocol 2.1)', () => {
  it('sends a model once per site: the next round trains from the evaluated model by hash, with no model bytes', async () => {
    const { key, token, identities } = await setup(3, ['site-a', 'site-b']);
    const a = await join('site-a', identities.get('site-a')!, key, { delta: 0.01 });
    const b = await join('site-b', identities.get('site-b')!, key, { delta: 0.02 });
    await run(token, 3);
    for (const s of [a, b]) {
      const starts = startsOf(s);
      expect(starts.map(label)).toEqual(['1/train', '1/evaluate', '2/train', '2/evaluate', '3/train', '3/evaluate']);
      // Every round evaluates a new model (the updates are not zero): sent with its bytes.
      for (const st of starts.filter((x) => x.phase === 'evaluate')) expect(st.weights.length).toBeGreaterThan(0);
      // Round 1 trains from a model the site never had; rounds 2 and 3 from the one it evaluated.
      expect(isModelReference(starts[0]!)).toBe(false);
      expect(starts[0]!.weights.length).toBeGreaterThan(0);
      for (const r of [2, 3]) {
        const train = starts.find((x) => x.round === r && x.phase === 'train')!;
        const evaluated = starts.find((x) => x.round === r - 1 && x.phase === 'evaluate')!;
        expect(isModelReference(train)).toBe(true);
        expect(train.weights.length).toBe(0);
        expect(train.weightsHash).toBe(hashWeights(evaluated.weights));
        // The site trained on the weights it held, which are the evaluated model.
        expect(hashWeights(s.starts.find((x) => x.round === r && x.phase === 'train')!.weights)).toBe(train.weightsHash);
      }
      expect(s.frames.some((f) => f.type === 'model/chunk')).toBe(false);
      expect(s.unheld).toBe(0);
    }
  });

  it('the evaluate phase sends no model bytes when the site holds the model it evaluates', async () => {
    const { key, token, identities } = await setup(2, ['site-a', 'site-b']);
    // Zero updates: FedAvg leaves the model as it was, so the evaluate phase names the model the
    // sites just trained from.
    const zero: Behavior = { update: (_start, weights) => new Float32Array(weights.length) };
    const a = await join('site-a', identities.get('site-a')!, key, zero);
    const b = await join('site-b', identities.get('site-b')!, key, zero);
    await run(token, 2);
    for (const s of [a, b]) {
      const starts = startsOf(s);
      expect(starts.map(label)).toEqual(['1/train', '1/evaluate', '2/train', '2/evaluate']);
      expect(starts[0]!.weights.length).toBeGreaterThan(0);
      for (const st of starts.slice(1)) {
        expect(isModelReference(st)).toBe(true);
        expect(st.weights.length).toBe(0);
        expect(st.weightsHash).toBe(hashWeights(starts[0]!.weights));
      }
      // The committed model hash of the evaluation is the one named by reference.
      expect(starts[1]!.config['modelHash']).toBe(starts[1]!.weightsHash);
      expect(s.unheld).toBe(0);
    }
  });

  it('sends the bytes to a site that does not hold the model: a reconnected site, and a 2.0 site', async () => {
    // Every round waits for all three sites, so the restarted site-b takes part again.
    const { key, token, identities } = await setup(2, ['site-a', 'site-b', 'site-c'], 3);
    const zero: Behavior = { update: (_start, weights) => new Float32Array(weights.length) };
    const a = await join('site-a', identities.get('site-a')!, key, zero);
    // A 2.0 site does not understand weights by reference: it always gets the weights.
    const old = await join('site-c', identities.get('site-c')!, key, zero, '2.0');
    // site-b answers round 1's training, then restarts (a new session, an empty memory) before evaluating.
    let restarted: FakeSite | undefined;
    const b = await join('site-b', identities.get('site-b')!, key, {
      ...zero,
      before: (start, site) => {
        if (start.phase === 'evaluate' && start.round === 1 && site.name === 'site-b' && !restarted) {
          site.close();
          restarted = new FakeSite(c!.url, 'site-b', identities.get('site-b')!);
          sites.push(restarted);
          void restarted.join(key, zero);
          return 'silent';
        }
        return undefined;
      },
    });
    await run(token, 2);
    const startsA = startsOf(a);
    expect(startsA.slice(1).every(isModelReference)).toBe(true);
    for (const st of startsOf(old)) {
      expect(isModelReference(st)).toBe(false);
      expect(st.weights.length).toBeGreaterThan(0);
    }
    // The old session of site-b held the model; the coordinator still sent it the first evaluate by reference.
    expect(isModelReference(startsOf(b).find((x) => x.round === 1 && x.phase === 'evaluate')!)).toBe(true);
    // Its new session's first round/start carries the bytes, and the next one is by reference again.
    const fresh = startsOf(restarted!);
    expect(fresh.length).toBeGreaterThanOrEqual(2);
    expect(isModelReference(fresh[0]!)).toBe(false);
    expect(fresh[0]!.weights.length).toBeGreaterThan(0);
    expect(isModelReference(fresh[1]!)).toBe(true);
    for (const s of [a, old, restarted!]) expect(s.unheld).toBe(0);
  });
});

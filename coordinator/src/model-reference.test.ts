/**
 * Protocol 2.1: every round/start announces its model by SHA-256 (one signed body for the
 * cohort) and the model/chunk messages carrying the weights follow only for a site not known
 * to hold that model (it answered the round/start that announced it, in this session).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodePublicKey, encodePublicKey, generateIdentity, type Identity } from '@cohortfl/identity';
import { hashWeights, type Envelope } from '@cohortfl/wire';
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

interface Announcement {
  label: string;
  hash: string;
  /** Bytes of the round/start frame. */
  startBytes: number;
  /** Model bytes that followed it (model/chunk frames, until the next round/start). */
  modelBytes: number;
}

/** Each round/start a site received, in order, with the model bytes sent after it. */
function announcements(s: FakeSite): Announcement[] {
  const out: Announcement[] = [];
  s.inbox.forEach((e: Envelope, i) => {
    const bytes = s.frames[i]!.bytes;
    if (e.type === 'round/start') {
      expect(e.body.weights.length).toBe(0);
      out.push({ label: `${e.body.round}/${e.body.phase}`, hash: e.body.weightsHash!, startBytes: bytes, modelBytes: 0 });
    } else if (e.type === 'model/chunk') out.at(-1)!.modelBytes += e.body.data.byteLength;
  });
  return out;
}

const MODEL_BYTES = 12; // the tiny task: 3 float32 weights

describe('model delivery by reference (protocol 2.1)', () => {
  it('sends a model once per site: the next round trains from the evaluated model, announced by hash, with no model bytes', async () => {
    const { key, token, identities } = await setup(3, ['site-a', 'site-b']);
    const a = await join('site-a', identities.get('site-a')!, key, { delta: 0.01 });
    const b = await join('site-b', identities.get('site-b')!, key, { delta: 0.02 });
    await run(token, 3);
    for (const s of [a, b]) {
      const got = announcements(s);
      expect(got.map((x) => x.label)).toEqual(['1/train', '1/evaluate', '2/train', '2/evaluate', '3/train', '3/evaluate']);
      // Round 1 trains from a model the site never had; every round evaluates a new model (the updates are not zero).
      for (const x of got.filter((x) => x.label === '1/train' || x.label.endsWith('/evaluate'))) expect(x.modelBytes).toBe(MODEL_BYTES);
      // Rounds 2 and 3 train from the model the site evaluated: announced by hash, no model bytes.
      for (const r of [2, 3]) {
        const train = got.find((x) => x.label === `${r}/train`)!;
        expect(train.hash).toBe(got.find((x) => x.label === `${r - 1}/evaluate`)!.hash);
        expect(train.modelBytes).toBe(0);
        // The site trained on the weights it held, which are that model.
        expect(hashWeights(s.starts.find((x) => x.round === r && x.phase === 'train')!.weights)).toBe(train.hash);
      }
      expect(s.unneeded).toBe(0);
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
      const got = announcements(s);
      expect(got.map((x) => x.label)).toEqual(['1/train', '1/evaluate', '2/train', '2/evaluate']);
      expect(got[0]!.modelBytes).toBe(MODEL_BYTES);
      for (const x of got.slice(1)) {
        expect(x.hash).toBe(got[0]!.hash);
        expect(x.modelBytes).toBe(0);
      }
      // The evaluated model the start commits to is the one announced.
      const evaluate = s.inbox.find((e): e is Extract<Envelope, { type: 'round/start' }> => e.type === 'round/start' && e.body.phase === 'evaluate')!;
      expect(evaluate.body.config['modelHash']).toBe(evaluate.body.weightsHash);
      expect(s.unneeded).toBe(0);
    }
  });

  it('sends the bytes to a site that does not hold the model: a reconnected site, and a 2.0 site', async () => {
    // Every round waits for all three sites, so the restarted site-b takes part again.
    const { key, token, identities } = await setup(2, ['site-a', 'site-b', 'site-c'], 3);
    const zero: Behavior = { update: (_start, weights) => new Float32Array(weights.length) };
    const a = await join('site-a', identities.get('site-a')!, key, zero);
    // A 2.0 site gets the chunks every time (a 2.0 coordinator's behaviour).
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
    expect(announcements(a).slice(1).every((x) => x.modelBytes === 0)).toBe(true);
    for (const x of announcements(old)) expect(x.modelBytes).toBe(MODEL_BYTES);
    // The old session of site-b held the model: its first evaluate came without model bytes.
    expect(announcements(b).find((x) => x.label === '1/evaluate')!.modelBytes).toBe(0);
    // Its new session's first round/start comes with the model, the next one without.
    const fresh = announcements(restarted!);
    expect(fresh.length).toBeGreaterThanOrEqual(2);
    expect(fresh[0]!.modelBytes).toBe(MODEL_BYTES);
    expect(fresh[1]!.modelBytes).toBe(0);
    for (const s of [a, restarted!]) expect(s.unneeded).toBe(0);
  });
});

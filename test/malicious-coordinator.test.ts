// A coordinator that deviates from the protocol, against the real site code. Each
// attack is first run with the defence switched off (the raw secure-aggregation
// client, a trusted roster, a forgetful site...) to show its arithmetic works (an
// individual update comes back), then against SiteRunner as deployed: the sites
// refuse with a counted reason and nothing of an individual update is recoverable.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodePublicKey, generateIdentity } from '@cohortfl/identity';
import { createLedger } from '@cohortfl/privacy';
import {
  createMembership,
  secureSiteNoise,
  SecureTrainPhase,
  SECURE_REFUSALS,
  quantizerSettings,
  type Membership,
  type RoundPrivacy,
  type SitePolicy,
} from '@cohortfl/protocol';
import { createGraph, createQuantizer, SecAggClient, type RosterEntry } from '@cohortfl/secagg';
import type { CoordinatorMessage, RoundStart, SecAggKeys, SecAggMasked, SecAggReveal, SecAggShares, SiteMessage } from '@cohortfl/wire';
import {
  ask,
  CLIP,
  Colluder,
  entriesOf,
  hospitals,
  maxAbsDiff,
  must,
  PARAMS,
  relayFor,
  rosterOf,
  roundStart,
  TASK,
  unmaskOne,
  updateOf,
  WEIGHT_SCALE,
  type Hospital,
} from './support/adversary.js';

const HONEST = ['alpha', 'beta', 'delta', 'gamma'];
/** Half a grid step of the quantizer, per coordinate, plus float32 slack. */
const QUANTUM = 1e-3;

describe('1. equivocation on the survivor set, with one colluding site', () => {
  it('without the defence: alpha\'s update and record count come back exactly', () => {
    const context = { taskHash: TASK, round: 1, attempt: 1 };
    const mallory = new Colluder('mallory', generateIdentity());
    const clients = HONEST.map((site) => new SecAggClient({ site, context }));
    const roster: RosterEntry[] = [...clients.map((c) => ({ site: c.site, ...c.advertiseKeys() })), { site: mallory.name, cPk: mallory.c.publicKey, sPk: mallory.s.publicKey }];
    // t = 3 of 5 (the old default, a strict majority), no colluder assumed.
    const config = { threshold: 3, graph: { kind: 'full' as const } };
    const sent = clients.flatMap((c) => c.shareKeys(roster, config));
    const quantizer = createQuantizer({ clip: CLIP, weightScale: WEIGHT_SCALE, maxSites: 5 });
    const masked = new Map(
      clients.map((c, i) => [c.site, c.maskInput(sent.filter((s) => s.to === c.site && s.from !== mallory.name), quantizer.quantize(updateOf(i), 10 * (i + 1)))]),
    );
    // The lie: alpha and beta hear that alpha survived, delta and gamma that it dropped.
    const survived = { survivors: [...HONEST], dropped: [] };
    const droppedIt = { survivors: ['beta', 'delta', 'gamma'], dropped: ['alpha'] };
    const bShares: Uint8Array[] = [];
    const sShares: Uint8Array[] = [];
    for (const c of clients) {
      const request = c.site === 'alpha' || c.site === 'beta' ? survived : droppedIt;
      c.attest(request);
      // Defence off: every signature taken as verified, whatever was signed.
      for (const r of c.unmask(request, roster.map((e) => e.site))) {
        if (r.owner === 'alpha') (r.kind === 'b' ? bShares : sShares).push(r.share);
      }
    }
    const toMallory = sent.find((s) => s.from === 'alpha' && s.to === mallory.name)!;
    const opened = mallory.open('alpha', toMallory.ciphertext, 1, 1, roster.find((e) => e.site === 'alpha')!.cPk);
    const encode = (share: { x: number; y: Uint8Array }) => Uint8Array.from([share.x >> 8, share.x & 0xff, ...share.y]);
    bShares.push(encode(opened.b));
    sShares.push(encode(opened.s));
    expect([bShares.length, sShares.length]).toEqual([3, 3]);
    const recovered = unmaskOne({ owner: 'alpha', masked: masked.get('alpha')!, bShares, sShares, threshold: 3, roster, peers: ['beta', 'delta', 'gamma'], maxSites: 5 });
    expect(recovered.numExamples).toBe(10);
    expect(maxAbsDiff(recovered.update, updateOf(0))).toBeLessThan(QUANTUM);
  });

  it('with the defence: the old threshold is refused, and the split leaves the adversary short of alpha\'s self-mask seed', async () => {
    // Five hospitals and the colluder, a pinned member the adversary plays (it sends no shares).
    const five = [...HONEST, 'kappa'];
    const mallory = new Colluder('mallory', generateIdentity());
    const { list, membership } = hospitals(five, { extraMembers: [{ name: mallory.name, identity: mallory.identity }] });
    const cohort = [...five, mallory.name];
    const keyOf = (site: string) => membership.keyOf(site)!;
    const advertise = async (attempt: number) => {
      const keys: SecAggKeys[] = [];
      for (const h of list) keys.push(must(await ask<SecAggKeys>(h, roundStart(cohort, membership, 1, attempt)), `${h.name} keys`));
      return [...keys, mallory.advertise(1, attempt)];
    };
    // t = 3 of 6 holders: one colluder could split them (2·3 ≤ 6 + 1). Refused by every site.
    const low = rosterOf(await advertise(1), keyOf, membership, 3);
    for (const h of list) expect(await ask(h, low)).toMatchObject({ ok: false, reason: SECURE_REFUSALS.THRESHOLD_UNSAFE });

    // A fresh attempt at t = 4 (8 > 6 + 1): honest up to the masked inputs.
    const roster = rosterOf(await advertise(2), keyOf, membership, 4, 1, 2);
    const shares: SecAggShares[] = [];
    for (const h of list) shares.push(must(await ask<SecAggShares>(h, roster), `${h.name} shares`));
    for (const h of list) must(await ask<SecAggMasked>(h, relayFor(h.name, shares, 1, 2)), `${h.name} masked`);
    const entries = entriesOf(roster);
    // The lie, in the consistency step: alpha and beta hear alpha survived, the others that it dropped.
    const survived = { survivors: [...five], dropped: [] as string[] };
    const droppedIt = { survivors: five.filter((s) => s !== 'alpha'), dropped: ['alpha'] };
    const told = (name: string) => (name === 'alpha' || name === 'beta' ? survived : droppedIt);
    const sigs = new Map<string, { site: string; sig: Uint8Array }>();
    for (const h of list) {
      const a = must(await ask<Extract<SiteMessage, { type: 'secagg/attest' }>>(h, { type: 'secagg/survivors', taskHash: TASK, round: 1, attempt: 2, ...told(h.name) }), `${h.name} attest`);
      sigs.set(h.name, { site: a.site, sig: a.sig });
    }
    const alphaShares = { b: 1, s: 1 }; // the colluder's own pair, opened by the adversary
    const outcomes: Record<string, string> = {};
    for (const h of list) {
      const view = told(h.name);
      const same = list.filter((o) => told(o.name) === view).map((o) => sigs.get(o.name)!);
      const answer = await ask<SecAggReveal>(h, { type: 'secagg/unmask', taskHash: TASK, round: 1, attempt: 2, ...view, attestations: [...same, mallory.attest(entries, view.survivors, view.dropped, 1, 2)] });
      outcomes[h.name] = answer.ok ? 'revealed' : answer.reason;
      if (answer.ok) for (const r of answer.message.reveals) if (r.owner === 'alpha') alphaShares[r.kind]++;
    }
    // Alpha's view gathers 2 honest signatures + the colluder's = 3 < 4: alpha and beta reveal nothing.
    expect(outcomes).toEqual({ alpha: SECURE_REFUSALS.ATTESTATIONS_SHORT, beta: SECURE_REFUSALS.ATTESTATIONS_SHORT, delta: 'revealed', gamma: 'revealed', kappa: 'revealed' });
    // The adversary holds t mask-key shares of alpha but 1 of the 4 self-mask shares it needs:
    // alpha's input keeps its self mask (a uniformly random pad), and no other split does better.
    expect(alphaShares).toEqual({ b: 1, s: 4 });
  });

  it('on the k-regular graph (n = 20, k = 10): a strict majority of the 11 holders (t = 6) is refused, t = 7 accepted', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `site-${String(i).padStart(2, '0')}`);
    const { list, membership } = hospitals(names);
    const start = roundStart(names, membership);
    const keys: SecAggKeys[] = [];
    for (const h of list) keys.push(must(await ask<SecAggKeys>(h, start), 'keys'));
    // 2·6 = 12 ≤ 11 holders + 1 colluder: one colluder could split a neighbourhood.
    expect(await ask(list[0]!, rosterOf(keys, (s) => membership.keyOf(s)!, membership, 6, 1, 1, 1, 10))).toMatchObject({ ok: false, reason: SECURE_REFUSALS.THRESHOLD_UNSAFE });
    expect((await ask(list[1]!, rosterOf(keys, (s) => membership.keyOf(s)!, membership, 7, 1, 1, 1, 10))).ok).toBe(true);
  });

  it('a site that signed one survivor set never unmasks for another, even with enough signatures on it', async () => {
    const { list, membership } = hospitals(['alpha', 'beta', 'delta', 'gamma', 'kappa']);
    const cohort = list.map((h) => h.name);
    const start = roundStart(cohort, membership);
    const keys: SecAggKeys[] = [];
    for (const h of list) keys.push(must(await ask<SecAggKeys>(h, start), 'keys'));
    const roster = rosterOf(keys, (s) => membership.keyOf(s)!, membership, 4);
    const shares: SecAggShares[] = [];
    for (const h of list) shares.push(must(await ask<SecAggShares>(h, roster), 'shares'));
    for (const h of list) must(await ask<SecAggMasked>(h, relayFor(h.name, shares)), 'masked');
    const all = { survivors: [...cohort], dropped: [] as string[] };
    const sigs = [];
    for (const h of list) sigs.push(must(await ask<Extract<SiteMessage, { type: 'secagg/attest' }>>(h, { type: 'secagg/survivors', taskHash: TASK, round: 1, attempt: 1, ...all }), 'attest'));
    const other = { survivors: cohort.filter((s) => s !== 'kappa'), dropped: ['kappa'] };
    const answer = await ask(list[0]!, { type: 'secagg/unmask', taskHash: TASK, round: 1, attempt: 1, ...other, attestations: sigs.map((s) => ({ site: s.site, sig: s.sig })) });
    expect(answer).toMatchObject({ ok: false, reason: SECURE_REFUSALS.SURVIVORS_CHANGED });
  });
});

/** Drives the coordinator's real secure train phase against the given sites; returns the sum it learns. */
async function honestRound(phase: SecureTrainPhase, start: RoundStart, sites: Map<string, Hospital>) {
  for (const [name, h] of sites) {
    const reply = await h.runner.handle(structuredClone(start));
    if (reply.type === 'round/refuse') phase.fail(name, reply.error.code, reply.error.message);
    else phase.receive(name, reply as never);
  }
  for (;;) {
    const outcome = phase.close();
    if (outcome.kind !== 'continue') return outcome;
    for (const { to, message } of outcome.sends) {
      const reply = await sites.get(to)!.runner.handle(structuredClone(message) as CoordinatorMessage);
      if (reply.type === 'round/refuse') phase.fail(to, reply.error.code, reply.error.message);
      else {
        const accepted = phase.receive(to, reply as never);
        if (!accepted.ok) phase.fail(to, 'INVALID', accepted.reason);
      }
    }
  }
}

function phaseFor(start: RoundStart, membership: Membership, privacy?: RoundPrivacy) {
  return new SecureTrainPhase({
    taskHash: TASK,
    round: start.round,
    attempt: start.attempt,
    cohort: start.cohort,
    parameterCount: PARAMS,
    options: { clip: CLIP, weightScale: WEIGHT_SCALE, stepTimeoutMs: 1000, membership },
    quantizer: quantizerSettings(start.config)!,
    ...(privacy ? { noiseSites: privacy.minSites } : {}),
  });
}

describe('2. key substitution: a roster of peers the coordinator invented', () => {
  // The coordinator plays every peer (zero updates, known counts) under identity keys it holds.
  const puppets = ['beta', 'delta', 'gamma', 'kappa'];
  function invented() {
    const fakes = hospitals(puppets);
    for (const f of fakes.list) f.update.fill(0);
    return fakes;
  }

  it('without pinning (the site trusts the roster\'s keys): the sum is alpha\'s update alone', async () => {
    // Defence off: alpha accepts the consortium the coordinator presents, four puppets and itself.
    const all = hospitals(['alpha', ...puppets]);
    for (const p of puppets) all.byName.get(p)!.update.fill(0);
    const cohort = ['alpha', ...puppets];
    const start = roundStart(cohort, all.membership);
    const outcome = await honestRound(phaseFor(start, all.membership), start, all.byName);
    expect(outcome.kind).toBe('done');
    if (outcome.kind !== 'done') return;
    const puppetRecords = puppets.reduce((t, p) => t + all.byName.get(p)!.numExamples, 0);
    const alphaRecords = outcome.numExamples - puppetRecords;
    expect(alphaRecords).toBe(10);
    const alphaUpdate = outcome.update.map((v) => (v * outcome.numExamples) / alphaRecords);
    expect(maxAbsDiff(alphaUpdate, updateOf(0))).toBeLessThan(QUANTUM * 10);
  });

  it('with pinning: alpha refuses every invented peer before sharing anything', async () => {
    const real = hospitals(['alpha', ...puppets]);
    const alpha = real.byName.get('alpha')!;
    const fakes = invented();
    const start = roundStart(['alpha', ...puppets], real.membership);
    const keys: SecAggKeys[] = [must(await ask<SecAggKeys>(alpha, start), 'alpha keys')];
    for (const f of fakes.list) keys.push(must(await ask<SecAggKeys>(f, roundStart(['alpha', ...puppets], fakes.membership)), 'fake keys'));
    // Same names as the real members, keys the coordinator holds; the real membership's digest.
    const substituted = rosterOf(keys, (site) => (site === 'alpha' ? real.membership.keyOf('alpha')! : encodePublicKey(fakes.byName.get(site)!.identity.publicKey)), real.membership, 4);
    expect(await ask(alpha, substituted)).toMatchObject({ ok: false, reason: SECURE_REFUSALS.UNPINNED_MEMBER });
    // Or the invented consortium's digest: refused as not the approved membership.
    const alpha2 = hospitals(['alpha', ...puppets]);
    const a2 = alpha2.byName.get('alpha')!;
    const keys2 = [must(await ask<SecAggKeys>(a2, roundStart(['alpha', ...puppets], alpha2.membership)), 'keys'), ...keys.slice(1)];
    const foreign = rosterOf(keys2, (site) => (site === 'alpha' ? alpha2.membership.keyOf('alpha')! : encodePublicKey(fakes.byName.get(site)!.identity.publicKey)), fakes.membership, 4);
    expect(await ask(a2, foreign)).toMatchObject({ ok: false, reason: SECURE_REFUSALS.UNPINNED_MEMBER });
    expect(alpha.refusals.concat(a2.refusals).every((r) => r.reason === SECURE_REFUSALS.UNPINNED_MEMBER)).toBe(true);
  });
});

describe('3. distributed DP: a sum with fewer noise shares than the sites were charged for', () => {
  const dp = (minSites: number): RoundPrivacy => ({ unit: 'site', clip: 1, noiseMultiplier: 1, delta: 1e-5, rounds: 20, minSites });
  const names = ['alpha', 'beta', 'delta', 'gamma', 'kappa'];

  it('without the defence the ledger undercharges: ε charged for n_min shares, fewer in the sum', () => {
    const quantizer = quantizerSettings(roundStart(names, hospitals(names).membership, 1, 1, dp(3)).config)!;
    const charged = secureSiteNoise(dp(3), quantizer, PARAMS).mechanism;
    // Three survivors, one a colluder that subtracts its own noise: two honest shares, not three.
    const actual = secureSiteNoise({ ...dp(3), minSites: 2 }, quantizer, PARAMS);
    const trueMechanism = { ...actual.mechanism, params: { ...actual.mechanism.params, perSiteVariance: charged.params.perSiteVariance } };
    const epsilon = (m: typeof charged) => {
      const ledger = createLedger({ epsilonMax: 1e9, delta: 1e-5, noiseFloor: 0 });
      for (let r = 0; r < 20; r++) ledger.commit(m, `round ${r}`);
      return ledger.epsilonSpent();
    };
    expect(epsilon(trueMechanism)).toBeGreaterThan(epsilon(charged) * 1.15);
  });

  it('sites refuse a dpMinSites the cohort cannot meet, and any survivor set short of it; the coordinator aborts before unmasking', async () => {
    const { list, membership } = hospitals(names);
    // A coordinator claiming 1000 noise shares among 5 sites: every site refuses before training.
    for (const h of list) expect(await ask(h, roundStart(names, membership, 1, 1, dp(1000)))).toMatchObject({ ok: false, reason: SECURE_REFUSALS.NOISE_FLOOR });
    // dpMinSites 4 (5 sites less 1 assumed colluder): honest start; delta vanishes after masking.
    const start = roundStart(names, membership, 2, 1, dp(4));
    const phase = phaseFor(start, membership, dp(4));
    const sites = new Map(list.map((h) => [h.name, h]));
    for (const h of list) phase.receive(h.name, must(await ask(h, start), 'keys') as never);
    let outcome = phase.close();
    for (const step of ['shares', 'masked'] as const) {
      if (outcome.kind !== 'continue') throw new Error(`unexpected ${outcome.kind}`);
      for (const { to, message } of outcome.sends) {
        if (step === 'masked' && to === 'delta') {
          phase.fail(to, 'DROPPED', 'gone');
          continue;
        }
        phase.receive(to, must(await ask(sites.get(to)!, message), `${to} ${step}`) as never);
      }
      outcome = phase.close();
    }
    expect(outcome).toMatchObject({ kind: 'aborted', message: expect.stringMatching(/fewer than the 4 honest noise shares/) });
    // A coordinator that asks anyway: 4 survivors, 1 possibly colluding, 3 < 4 shares; nobody signs.
    for (const name of ['alpha', 'beta', 'gamma', 'kappa']) {
      const answer = await ask(sites.get(name)!, { type: 'secagg/survivors', taskHash: TASK, round: 2, attempt: 1, survivors: ['alpha', 'beta', 'gamma', 'kappa'], dropped: ['delta'] });
      expect(answer).toMatchObject({ ok: false, reason: SECURE_REFUSALS.NOISE_FLOOR });
    }
  });

  it('a site refuses a dpMinSites below its own policy floor', async () => {
    const { list, membership } = hospitals(names, { policy: { minNoiseSites: 4 } as Partial<SitePolicy> });
    expect(await ask(list[0]!, roundStart(names, membership, 1, 1, dp(3)))).toMatchObject({ ok: false, reason: SECURE_REFUSALS.NOISE_FLOOR });
  });
});

describe('5. the neighbour graph cannot be ground by aborting attempts or leaving sites out', () => {
  const members = Array.from({ length: 100 }, (_, i) => `site-${String(i).padStart(3, '0')}`);
  const target = 'site-000';
  const context = (attempt: number, round = 1) => ({ taskHash: TASK, round, attempt });

  it('with a seed the coordinator could vary (per attempt), a colluder lands next to the target within a few tries', () => {
    const honestGraph = createGraph(members, context(1), { kind: 'k-regular' });
    const colluder = members.find((s) => s !== target && !honestGraph.isNeighbour(target, s))!;
    let hits = 0;
    let first = -1;
    for (let attempt = 1; attempt <= 200; attempt++) {
      // Defence off: the seed moves with the attempt (emulated through the task-hash input).
      const seeded = createHash('sha256').update(`${TASK}:${attempt}`).digest('hex');
      const g = createGraph(members, { ...context(attempt), taskHash: seeded }, { kind: 'k-regular' });
      if (g.isNeighbour(target, colluder)) {
        hits++;
        if (first < 0) first = attempt;
      }
    }
    expect(hits).toBeGreaterThan(5);
    expect(first).toBeGreaterThan(0);
  });

  it('with the defence: 200 attempts, any rounds and any advertiser subsets never move the colluder next to the target', () => {
    const base = createGraph(members, context(1), { kind: 'k-regular' });
    const colluder = members.find((s) => s !== target && !base.isNeighbour(target, s))!;
    let rng = 12345;
    const next = () => (rng = (rng * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let attempt = 1; attempt <= 200; attempt++) {
      const advertised = members.filter((s) => s === target || s === colluder || next() > 0.1);
      const g = createGraph(advertised, context(attempt, 1 + (attempt % 7)), { kind: 'k-regular' }, members);
      expect(g.isNeighbour(target, colluder)).toBe(false);
      expect(g.neighbours(target).every((peer) => base.isNeighbour(target, peer))).toBe(true);
    }
  });
});

describe('6. retry differencing: complete an attempt, call it failed, retry without one site', () => {
  const names = ['alpha', 'beta', 'delta', 'gamma', 'kappa'];

  async function twoAttempts(forgetful: boolean) {
    // Defence off: sites that do not remember revealing.
    const { list, membership } = hospitals(names, forgetful ? { revealed: () => ({ has: () => false, add: () => undefined }) } : {});
    const sites = new Map(list.map((h) => [h.name, h]));
    const first = roundStart(names, membership, 1, 1);
    const one = await honestRound(phaseFor(first, membership), first, sites);
    const without = names.filter((n) => n !== 'gamma');
    const second = roundStart(without, membership, 1, 2);
    const two = await honestRound(phaseFor(second, membership), second, new Map(without.map((n) => [n, sites.get(n)!])));
    return { one, two, list };
  }

  it('without the defence: the difference of the two sums is gamma\'s update', async () => {
    const { one, two } = await twoAttempts(true);
    expect(one.kind).toBe('done');
    expect(two.kind).toBe('done');
    if (one.kind !== 'done' || two.kind !== 'done') return;
    const records = one.numExamples - two.numExamples;
    expect(records).toBe(40);
    const diff = one.update.map((v, i) => (v * one.numExamples - two.update[i]! * two.numExamples) / records);
    expect(maxAbsDiff(diff, updateOf(3))).toBeLessThan(QUANTUM * 20);
  });

  it('with the defence: every site that revealed refuses the retry, so there is no second sum', async () => {
    const { one, two, list } = await twoAttempts(false);
    expect(one.kind).toBe('done');
    expect(two.kind).toBe('aborted');
    for (const h of list.filter((x) => x.name !== 'gamma')) expect(h.refusals.map((r) => r.reason)).toContain(SECURE_REFUSALS.ROUND_REVEALED);
  });
});

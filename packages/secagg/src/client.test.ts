import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { SecAggClient } from './client.js';
import type { RoundContext } from './context.js';
import { decodeShare, split } from './shamir.js';
import { encryptShares } from './share-payload.js';
import { attestAndUnmask, CONTEXT, siteNames } from './round-harness.test-suite.js';
import type { EncryptedShare, RosterEntry, SecAggConfig } from './types.js';
import { createAgreement } from './x25519.js';

const FULL: SecAggConfig = { threshold: 4, graph: { kind: 'full' } };
const failure = (fn: () => unknown): { code?: string; message?: string } => {
  try {
    fn();
  } catch (error) {
    return error as { code?: string; message?: string };
  }
  return {};
};
const secret = (): Uint8Array => nacl.randomBytes(32);

/** A peer whose keys the test holds, to craft messages an honest client would never send. */
function fakePeer(site: string) {
  const c = nacl.box.keyPair();
  const s = nacl.box.keyPair();
  return { site, c, s, entry: { site, cPk: c.publicKey, sPk: s.publicKey } as RosterEntry };
}

/** n honest clients that advertised, their roster (sorted), plus one fake peer 'site-zz'. */
function advertised(n: number) {
  const clients = siteNames(n).map((site) => new SecAggClient({ site, context: CONTEXT }));
  const fake = fakePeer('site-zz');
  const roster = [...clients.map((client) => ({ site: client.site, ...client.advertiseKeys() })), fake.entry];
  return { clients, roster, fake };
}

/** All clients past shareKeys, with the shares each would receive (fake peer excluded). */
function shared(n: number, config: SecAggConfig = FULL) {
  const { clients, roster, fake } = advertised(n);
  const sent: EncryptedShare[] = clients.flatMap((client) => client.shareKeys(roster, config));
  const inbox = (site: string) => sent.filter((s) => s.to === site).map(({ from, ciphertext }) => ({ from, ciphertext }));
  return { clients, roster, fake, sent, inbox };
}

/** Shares from the fake peer to `to`, optionally lying about the address, the round or the x. */
function forged(fake: ReturnType<typeof fakePeer>, toEntry: RosterEntry, options: { to?: string; context?: RoundContext; x?: number }) {
  const shares = split(secret(), 2, 2, [options.x ?? 1, 65_000]);
  const boxKey = createAgreement(fake.c.secretKey).boxKey(toEntry.cPk, toEntry.site);
  const address = { context: options.context ?? CONTEXT, from: fake.site, to: options.to ?? toEntry.site };
  return { from: fake.site, ciphertext: encryptShares(boxKey, address, { b: shares[0]!, s: shares[0]! }) };
}

describe('SecAggClient stages', () => {
  it('refuses illegal transitions with SECAGG_ABORTED and stays aborted', () => {
    const client = new SecAggClient({ site: 'site-00', context: CONTEXT });
    expect(failure(() => client.maskInput([], new Uint32Array(1))).code).toBe('SECAGG_ABORTED');
    expect(client.stage).toBe('aborted');
    expect(failure(() => client.advertiseKeys()).code).toBe('SECAGG_ABORTED');
    const twice = new SecAggClient({ site: 'site-00', context: CONTEXT });
    twice.advertiseKeys();
    expect(failure(() => twice.advertiseKeys()).message).toMatch(/advertiseKeys is not allowed in stage 'advertised'/);
    const early = new SecAggClient({ site: 'site-00', context: CONTEXT });
    early.advertiseKeys();
    expect(failure(() => attestAndUnmask(early, { survivors: [], dropped: [] })).code).toBe('SECAGG_ABORTED');
  });

  it('advertises two distinct fresh 32-byte keys', () => {
    const a = new SecAggClient({ site: 'site-00', context: CONTEXT }).advertiseKeys();
    const b = new SecAggClient({ site: 'site-00', context: CONTEXT }).advertiseKeys();
    expect(a.cPk).toHaveLength(32);
    expect(a.sPk).toHaveLength(32);
    expect(a.cPk).not.toEqual(a.sPk);
    expect(a.cPk).not.toEqual(b.cPk);
  });

  it('refuses a bad site name or context at construction', () => {
    expect(failure(() => new SecAggClient({ site: 'Site A', context: CONTEXT })).code).toBe('MESSAGE_INVALID');
    expect(failure(() => new SecAggClient({ site: 'site-a', context: { ...CONTEXT, attempt: 2 ** 32 } })).code).toBe('MESSAGE_INVALID');
  });
});

describe('SecAggClient.shareKeys', () => {
  it('produces one constant-size ciphertext per neighbour that nacl.box.open accepts', () => {
    const { clients, roster, fake } = advertised(4);
    const out = clients[0]!.shareKeys(roster, FULL);
    expect(out.map((s) => s.to)).toEqual(['site-01', 'site-02', 'site-03', 'site-zz']);
    for (const s of out) expect(s.ciphertext).toHaveLength(338);
    const forFake = out.find((s) => s.to === 'site-zz')!;
    const plain = nacl.box.open(forFake.ciphertext.subarray(24), forFake.ciphertext.subarray(0, 24), roster[0]!.cPk, fake.c.secretKey);
    expect(plain).toHaveLength(298);
    // Its shares sit at the fake site's x (5th in sorted order).
    expect(decodeShare(plain!.subarray(162, 230)).x).toBe(5);
  });

  it('refuses malformed rosters without changing stage', () => {
    const { clients, roster } = advertised(4);
    const me = clients[0]!;
    const [mine, second] = [roster[0]!, roster[1]!];
    const cases: [string, RosterEntry[], RegExp][] = [
      ['duplicate site', [...roster, { ...second, cPk: secret(), sPk: secret() }], /appears twice/],
      ['reused key', roster.map((e, i) => (i === 2 ? { ...e, cPk: second.cPk } : e)), /reused/],
      ['missing self', roster.slice(1), /does not include this site/],
      ['substituted own key', [{ ...mine, sPk: nacl.box.keyPair().publicKey }, ...roster.slice(1)], /did not advertise/],
      ['short key', roster.map((e, i) => (i === 1 ? { ...e, cPk: new Uint8Array(31) } : e)), /32 bytes/],
      ['low-order key', roster.map((e, i) => (i === 1 ? { ...e, sPk: new Uint8Array(32) } : e)), /low-order/],
    ];
    for (const [name, bad, pattern] of cases) {
      const error = failure(() => me.shareKeys(bad, FULL));
      expect(error.code, name).toBe('MESSAGE_INVALID');
      expect(error.message, name).toMatch(pattern);
      expect(me.stage).toBe('advertised');
    }
    expect(failure(() => me.shareKeys(roster, { threshold: 1, graph: { kind: 'full' } })).code).toBe('MESSAGE_INVALID');
    expect(failure(() => me.shareKeys(roster, { threshold: 2.5, graph: { kind: 'full' } })).code).toBe('MESSAGE_INVALID');
    expect(failure(() => me.shareKeys(roster, { threshold: 3, graph: { kind: 'k-regular', k: 3 } })).code).toBe('MESSAGE_INVALID');
    expect(me.shareKeys(roster, FULL)).toHaveLength(4);
  });

  it('refuses a threshold above the neighbourhood, and aborts on a roster smaller than the threshold', () => {
    const sites = siteNames(20);
    const clients = sites.map((site) => new SecAggClient({ site, context: CONTEXT }));
    const roster = clients.map((c) => ({ site: c.site, ...c.advertiseKeys() }));
    expect(failure(() => clients[0]!.shareKeys(roster, { threshold: 6, graph: { kind: 'k-regular', k: 4 } })).message).toMatch(/exceeds the holders/);
    expect(failure(() => clients[0]!.shareKeys(roster, { threshold: 21, graph: { kind: 'full' } })).code).toBe('SECAGG_ABORTED');
    expect(clients[0]!.stage).toBe('aborted');
  });
});

describe('SecAggClient.maskInput', () => {
  it('refuses tampered, misrouted, mis-addressed, replayed-round and duplicate shares', () => {
    const { clients, roster, fake, inbox } = shared(4);
    const me = clients[1]!;
    const mine = inbox(me.site);
    const good = mine[0]!;
    const tampered = { ...good, ciphertext: Uint8Array.from(good.ciphertext) };
    tampered.ciphertext[100]! ^= 1;
    const myEntry = roster.find((e) => e.site === me.site)!;
    const myX = 2;
    const cases: [string, { from: string; ciphertext: Uint8Array }[], RegExp][] = [
      ['tampered', [tampered, ...mine.slice(1)], /failed to decrypt/],
      ['relayed under another sender', [{ from: mine[1]!.from, ciphertext: good.ciphertext }, mine[0]!, ...mine.slice(2)], /failed to decrypt/],
      ['addressed to someone else', [...mine, forged(fake, myEntry, { to: 'site-03', x: myX })], /addressed to another site/],
      ['from another round', [...mine, forged(fake, myEntry, { context: { ...CONTEXT, attempt: 1 }, x: myX })], /another round/],
      ['wrong x-coordinate', [...mine, forged(fake, myEntry, { x: 4 })], /x-coordinate/],
      ['duplicate sender', [...mine, good], /two shares/],
      ['from itself', [{ from: me.site, ciphertext: good.ciphertext }], /not a neighbour/],
      ['from outside the roster', [{ from: 'site-99', ciphertext: good.ciphertext }], /not a neighbour/],
      ['truncated', [{ ...good, ciphertext: good.ciphertext.subarray(1) }], /338 bytes/],
    ];
    for (const [name, received, pattern] of cases) {
      const error = failure(() => me.maskInput(received, new Uint32Array(8)));
      expect(error.code, name).toBe('MESSAGE_INVALID');
      expect(error.message, name).toMatch(pattern);
      expect(me.stage).toBe('shared');
    }
    expect(failure(() => me.maskInput(mine, new Uint32Array(0))).code).toBe('MESSAGE_INVALID');
    expect(failure(() => me.maskInput(mine, [1, 2] as unknown as Uint32Array)).code).toBe('MESSAGE_INVALID');
    // A well-formed share from the fake peer is accepted alongside the honest ones.
    expect(me.maskInput([...mine, forged(fake, myEntry, { x: myX })], new Uint32Array(8))).toHaveLength(8);
    expect(me.stage).toBe('masked');
  });

  it('aborts when fewer than threshold − 1 neighbours’ shares arrived', () => {
    const { clients, inbox } = shared(4);
    const error = failure(() => clients[0]!.maskInput(inbox('site-00').slice(0, 1), new Uint32Array(4)));
    expect(error.code).toBe('SECAGG_ABORTED');
    expect(error.message).toMatch(/received shares from 1 neighbours; 3 needed/);
    expect(clients[0]!.stage).toBe('aborted');
  });

  it('refuses shares from a non-neighbour in a sparse graph', () => {
    const { clients, inbox, sent } = shared(16, { threshold: 3, graph: { kind: 'k-regular', k: 4 } });
    const me = clients[0]!;
    const stranger = sent.find((s) => s.to !== me.site && s.from !== me.site && !inbox(me.site).some((r) => r.from === s.from))!;
    const error = failure(() => me.maskInput([...inbox(me.site), { from: stranger.from, ciphertext: stranger.ciphertext }], new Uint32Array(4)));
    expect(error.message).toMatch(/not a neighbour/);
  });
});

describe('SecAggClient.unmask', () => {
  function masked(n = 5) {
    const state = shared(n);
    const me = state.clients[0]!;
    me.maskInput(state.inbox(me.site), new Uint32Array(4));
    return { ...state, me };
  }
  const all = siteNames(5);

  it('reveals b-shares of survivors and s-shares of dropped sites at its own x', () => {
    const { me } = masked();
    const reveals = attestAndUnmask(me, { survivors: ['site-00', 'site-01', 'site-02', 'site-03'], dropped: ['site-04'] });
    expect(reveals.map((r) => [r.owner, r.kind])).toEqual([
      ['site-00', 'b'],
      ['site-01', 'b'],
      ['site-02', 'b'],
      ['site-03', 'b'],
      ['site-04', 's'],
    ]);
    for (const r of reveals) expect(decodeShare(r.share).x).toBe(1);
    expect(me.stage).toBe('unmasked');
    expect(failure(() => attestAndUnmask(me, { survivors: all, dropped: [] })).code).toBe('SECAGG_ABORTED');
  });

  it('never reveals its own mask key, even when told it dropped', () => {
    const { me } = masked();
    const reveals = attestAndUnmask(me, { survivors: ['site-01', 'site-02', 'site-03', 'site-04'], dropped: ['site-00'] });
    expect(reveals.some((r) => r.owner === 'site-00')).toBe(false);
  });

  it('aborts on a request for both shares of one site, or too few survivors', () => {
    const both = masked();
    const error = failure(() => attestAndUnmask(both.me, { survivors: all, dropped: ['site-02'] }));
    expect(error.code).toBe('SECAGG_ABORTED');
    expect(error.message).toMatch(/both survivor and dropped/);
    expect(both.me.stage).toBe('aborted');
    const few = masked();
    expect(failure(() => attestAndUnmask(few.me, { survivors: ['site-00', 'site-01', 'site-02'], dropped: ['site-03', 'site-04'] })).message).toMatch(
      /3 survivors, fewer than the threshold 4/,
    );
  });

  it('refuses malformed or inconsistent requests without changing stage', () => {
    const { me } = masked();
    const cases: [string, unknown, RegExp][] = [
      ['unknown site', { survivors: [...all, 'site-77'], dropped: [] }, /not in the roster/],
      ['duplicate', { survivors: [...all, 'site-01'], dropped: [] }, /twice/],
      ['unclassified neighbour', { survivors: ['site-00', 'site-01', 'site-02', 'site-03'], dropped: [] }, /does not classify neighbour 'site-04'/],
      ['neighbour it got nothing from', { survivors: [...all, 'site-zz'], dropped: [] }, /never received/],
      ['not an object', null, /must be an object/],
      ['lists not arrays', { survivors: 'site-00', dropped: [] }, /must be an array/],
    ];
    for (const [name, request, pattern] of cases) {
      const error = failure(() => attestAndUnmask(me, request as never));
      expect(error.code, name).toBe('MESSAGE_INVALID');
      expect(error.message, name).toMatch(pattern);
      expect(me.stage).toBe('masked');
    }
  });

  it('aborts when survivors are disconnected in a sparse graph (partial sums would leak)', () => {
    const sites = siteNames(16);
    const clients = sites.map((site) => new SecAggClient({ site, context: CONTEXT }));
    const roster = clients.map((c) => ({ site: c.site, ...c.advertiseKeys() }));
    const config: SecAggConfig = { threshold: 2, graph: { kind: 'k-regular', k: 2 } };
    const sent = clients.flatMap((c) => c.shareKeys(roster, config));
    const me = clients[0]!;
    me.maskInput(sent.filter((s) => s.to === me.site), new Uint32Array(2));
    const neighbours = sent.filter((s) => s.to === me.site).map((s) => s.from);
    // Both ring neighbours dropped: this site is cut off from the other survivors.
    const survivors = sites.filter((s) => !neighbours.includes(s));
    const error = failure(() => attestAndUnmask(me, { survivors, dropped: neighbours }));
    expect(error.code).toBe('SECAGG_ABORTED');
    expect(error.message).toMatch(/not connected/);
  });
});

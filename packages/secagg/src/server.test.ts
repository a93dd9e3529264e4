import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { SecAggClient } from './client.js';
import { SecAggServer } from './server.js';
import { add, elementFromBytes, elementToBytes, invert } from './field.js';
import { encodeShare, decodeShare } from './shamir.js';
import { attestAndUnmask, CONTEXT, siteNames } from './round-harness.test-suite.js';
import type { Reveal, SecAggConfig } from './types.js';

const CONFIG: SecAggConfig = { threshold: 3, graph: { kind: 'full' } };
const LENGTH = 6;
const failure = (fn: () => unknown): { code?: string; message?: string } => {
  try {
    fn();
  } catch (error) {
    return error as { code?: string; message?: string };
  }
  return {};
};

/** A server and five clients driven up to (and including) the given phase. */
function drive(until: 'keys' | 'shares' | 'masked' | 'unmask', n = 5) {
  const sites = siteNames(n);
  const server = new SecAggServer({ context: CONTEXT, cohort: sites, config: CONFIG, vectorLength: LENGTH });
  const clients = sites.map((site) => new SecAggClient({ site, context: CONTEXT }));
  const keys = new Map(clients.map((c) => [c.site, c.advertiseKeys()]));
  const result = { server, clients, keys, sites, shares: new Map<string, ReturnType<SecAggClient['shareKeys']>>(), reveals: new Map<string, Reveal[]>() };
  if (until === 'keys') return result;
  for (const c of clients) server.receiveAdvertisement(c.site, keys.get(c.site)!);
  const roster = server.closeAdvertisements();
  for (const c of clients) result.shares.set(c.site, c.shareKeys(roster, CONFIG));
  if (until === 'shares') return result;
  for (const c of clients) server.receiveShares(c.site, result.shares.get(c.site)!);
  server.closeShares();
  if (until === 'masked') return result;
  for (const c of clients) server.receiveMasked(c.site, c.maskInput(server.sharesFor(c.site), Uint32Array.of(1, 2, 3, 4, 5, c.site.length)));
  const request = server.closeMasked();
  for (const c of clients) server.receiveAttestation(c.site);
  server.closeAttestations();
  for (const c of clients) result.reveals.set(c.site, attestAndUnmask(c, request));
  return result;
}

describe('SecAggServer configuration', () => {
  it('refuses bad options with CONFIG_INVALID', () => {
    const base = { context: CONTEXT, cohort: siteNames(4), config: CONFIG, vectorLength: 3 };
    expect(failure(() => new SecAggServer({ ...base, config: { threshold: 1, graph: { kind: 'full' } } })).code).toBe('CONFIG_INVALID');
    expect(failure(() => new SecAggServer({ ...base, config: { threshold: 5, graph: { kind: 'full' } } })).code).toBe('CONFIG_INVALID');
    expect(failure(() => new SecAggServer({ ...base, cohort: ['site-00', 'site-00', 'site-01'] })).code).toBe('CONFIG_INVALID');
    expect(failure(() => new SecAggServer({ ...base, vectorLength: 0 })).code).toBe('CONFIG_INVALID');
    expect(failure(() => new SecAggServer({ ...base, context: { ...CONTEXT, taskHash: 'xyz' } })).code).toBe('CONFIG_INVALID');
    expect(failure(() => new SecAggServer({ ...base, config: { threshold: 3, graph: { kind: 'k-regular', k: 3 } } })).code).toBe('CONFIG_INVALID');
    const big = { ...base, cohort: siteNames(30) };
    expect(failure(() => new SecAggServer({ ...big, config: { threshold: 6, graph: { kind: 'k-regular', k: 4 } } })).message).toMatch(/exceeds the holders/);
  });
});

describe('SecAggServer advertisements', () => {
  it('refuses outsiders, duplicates, reused, equal, short and low-order keys', () => {
    const { server, keys } = drive('keys');
    const a = keys.get('site-00')!;
    server.receiveAdvertisement('site-00', a);
    const fresh = () => nacl.box.keyPair().publicKey;
    const cases: [string, () => void, RegExp][] = [
      ['outsider', () => server.receiveAdvertisement('site-99', { cPk: fresh(), sPk: fresh() }), /not expected/],
      ['duplicate', () => server.receiveAdvertisement('site-00', a), /duplicate/],
      ['reused key', () => server.receiveAdvertisement('site-01', { cPk: a.sPk, sPk: fresh() }), /reuses a key of 'site-00'/],
      ['one key twice', () => { const k = fresh(); server.receiveAdvertisement('site-01', { cPk: k, sPk: k }); }, /one key for both/],
      ['short key', () => server.receiveAdvertisement('site-01', { cPk: new Uint8Array(31), sPk: fresh() }), /32-byte/],
      ['low-order key', () => server.receiveAdvertisement('site-01', { cPk: new Uint8Array(32), sPk: fresh() }), /low-order/],
    ];
    for (const [name, call, pattern] of cases) {
      const error = failure(call);
      expect(error.code, name).toBe('MESSAGE_INVALID');
      expect(error.message, name).toMatch(pattern);
    }
    expect(server.stage).toBe('collect-keys');
  });

  it('refuses early calls and late messages; aborts below the threshold', () => {
    const { server, keys } = drive('keys');
    expect(failure(() => server.roster()).code).toBe('SECAGG_ABORTED');
    expect(failure(() => server.closeShares()).code).toBe('SECAGG_ABORTED');
    expect(failure(() => server.receiveMasked('site-00', new Uint32Array(LENGTH))).code).toBe('MESSAGE_INVALID');
    expect(server.stage).toBe('collect-keys');
    server.receiveAdvertisement('site-00', keys.get('site-00')!);
    server.receiveAdvertisement('site-01', keys.get('site-01')!);
    const error = failure(() => server.closeAdvertisements());
    expect(error.code).toBe('SECAGG_ABORTED');
    expect(error.message).toMatch(/phase 'advertise': 2 sites answered, threshold is 3/);
    expect(server.stage).toBe('aborted');
    expect(failure(() => server.receiveAdvertisement('site-02', keys.get('site-02')!)).code).toBe('SECAGG_ABORTED');
    expect(failure(() => server.finalize()).code).toBe('SECAGG_ABORTED');
  });
});

describe('SecAggServer share routing', () => {
  it('refuses incomplete, misaddressed, forged-sender, duplicate and wrong-size share lists', () => {
    const { server, shares } = drive('shares');
    const list = shares.get('site-00')!;
    const cases: [string, unknown, RegExp][] = [
      ['one missing', list.slice(1), /one for each of its 4 neighbours/],
      ['to itself', [...list.slice(1), { ...list[0]!, to: 'site-00' }], /not its neighbour/],
      ['forged sender', [...list.slice(1), { ...list[0]!, from: 'site-01' }], /from another site/],
      ['duplicate', [...list, list[0]!], /two shares/],
      ['short ciphertext', [...list.slice(1), { ...list[0]!, ciphertext: list[0]!.ciphertext.subarray(2) }], /338 bytes/],
      ['not an array', 'nope', /must be an array/],
    ];
    for (const [name, bad, pattern] of cases) {
      const error = failure(() => server.receiveShares('site-00', bad as never));
      expect(error.code, name).toBe('MESSAGE_INVALID');
      expect(error.message, name).toMatch(pattern);
    }
    server.receiveShares('site-00', list);
    expect(failure(() => server.receiveShares('site-00', list)).message).toMatch(/duplicate/);
    expect(failure(() => server.sharesFor('site-00')).code).toBe('SECAGG_ABORTED');
  });

  it('relays to each site exactly its neighbours’ ciphertexts from U2', () => {
    const { server, shares, sites } = drive('shares');
    for (const site of sites.slice(0, 4)) server.receiveShares(site, shares.get(site)!);
    server.closeShares();
    const inbox = server.sharesFor('site-02');
    expect(inbox.map((s) => s.from)).toEqual(['site-00', 'site-01', 'site-03']);
    expect(inbox[0]!.ciphertext).toEqual(shares.get('site-00')!.find((s) => s.to === 'site-02')!.ciphertext);
    expect(failure(() => server.sharesFor('site-04')).code).toBe('MESSAGE_INVALID');
  });
});

describe('SecAggServer masked inputs and unmasking', () => {
  it('refuses masked vectors of the wrong length, from sites outside U2, or twice', () => {
    const { server, shares, sites } = drive('shares');
    for (const site of sites.slice(0, 4)) server.receiveShares(site, shares.get(site)!);
    server.closeShares();
    expect(failure(() => server.receiveMasked('site-00', new Uint32Array(LENGTH + 1))).message).toMatch(/length 6/);
    expect(failure(() => server.receiveMasked('site-00', new Float32Array(LENGTH) as never)).code).toBe('MESSAGE_INVALID');
    expect(failure(() => server.receiveMasked('site-04', new Uint32Array(LENGTH))).message).toMatch(/not expected/);
    server.receiveMasked('site-00', new Uint32Array(LENGTH));
    expect(failure(() => server.receiveMasked('site-00', new Uint32Array(LENGTH))).message).toMatch(/duplicate/);
    expect(failure(() => server.unmaskRequest()).code).toBe('SECAGG_ABORTED');
  });

  it('refuses reveals of the wrong kind, owner or x, and incomplete or duplicate lists', () => {
    const { server, reveals } = drive('unmask');
    const mine = reveals.get('site-01')!;
    const other = reveals.get('site-02')!;
    const cases: [string, Reveal[], RegExp][] = [
      ['wrong kind', [{ ...mine[0]!, kind: 's' }, ...mine.slice(1)], /expected its 'b' share/],
      ['missing', mine.slice(1), /4 shares, 5 expected/],
      ['duplicate', [...mine, mine[0]!], /two shares/],
      ['unknown owner', [...mine.slice(1), { ...mine[0]!, owner: 'site-77' }], /does not hold/],
      ['another site’s share', [other[0]!, ...mine.slice(1)], /another site's x-coordinate/],
      ['malformed share', [{ ...mine[0]!, share: mine[0]!.share.subarray(1) }, ...mine.slice(1)], /68 bytes/],
    ];
    for (const [name, bad, pattern] of cases) {
      const error = failure(() => server.receiveUnmask('site-01', bad));
      expect(error.code, name).toBe('MESSAGE_INVALID');
      expect(error.message, name).toMatch(pattern);
    }
    server.receiveUnmask('site-01', mine);
    expect(failure(() => server.receiveUnmask('site-01', mine)).message).toMatch(/duplicate/);
  });

  it('aborts when a revealed share is inconsistent instead of returning a wrong sum', () => {
    const { server, reveals, sites } = drive('unmask');
    for (const site of sites) {
      let list = reveals.get(site)!;
      if (site === 'site-04') {
        list = list.map((r) => {
          const share = decodeShare(r.share);
          share.y[65]! ^= 1;
          return { ...r, share: encodeShare(share) };
        });
      }
      server.receiveUnmask(site, list);
    }
    const error = failure(() => server.finalize());
    expect(error.code).toBe('SECAGG_ABORTED');
    expect(error.message).toMatch(/phase 'unmask': self-mask seed of 'site-00': revealed shares are inconsistent/);
    expect(server.stage).toBe('aborted');
  });

  it('aborts when a dropped site’s reconstructed mask key does not match its advertised key', () => {
    const sites = siteNames(5);
    const server = new SecAggServer({ context: CONTEXT, cohort: sites, config: CONFIG, vectorLength: 2 });
    const clients = sites.map((site) => new SecAggClient({ site, context: CONTEXT }));
    for (const c of clients) server.receiveAdvertisement(c.site, c.advertiseKeys());
    const roster = server.closeAdvertisements();
    for (const c of clients) server.receiveShares(c.site, c.shareKeys(roster, CONFIG));
    server.closeShares();
    const alive = clients.slice(0, 4); // site-04 drops after sharing
    for (const c of alive) server.receiveMasked(c.site, c.maskInput(server.sharesFor(c.site), new Uint32Array(2)));
    const request = server.closeMasked();
    expect(request).toEqual({ survivors: sites.slice(0, 4), dropped: ['site-04'] });
    for (const c of alive) server.receiveAttestation(c.site);
    server.closeAttestations();
    for (const c of alive.slice(0, 3)) {
      // Exactly t reveals, so no spare share exposes the corruption; the key check must. Shares sit
      // at x = 1, 2, 3, so x = 1 has Lagrange weight 3 at zero: adding 3^-1 shifts the secret by one,
      // a still plausible 32-byte value.
      const reveals = attestAndUnmask(c, request).map((r) => {
        if (c.site !== 'site-00' || r.owner !== 'site-04') return r;
        const share = decodeShare(r.share);
        const shifted = add(elementFromBytes(share.y), invert(3n));
        return { ...r, share: encodeShare({ x: share.x, y: elementToBytes(shifted) }) };
      });
      server.receiveUnmask(c.site, reveals);
    }
    const error = failure(() => server.finalize());
    expect(error.code).toBe('SECAGG_ABORTED');
    expect(error.message).toMatch(/mask key of dropped site 'site-04': reconstructed key does not match its advertised key/);
  });

  it('returns the exact sum once, then refuses to run again', () => {
    const { server, reveals, sites } = drive('unmask');
    for (const site of sites) server.receiveUnmask(site, reveals.get(site)!);
    expect(Array.from(server.finalize())).toEqual([5, 10, 15, 20, 25, 35]);
    expect(server.stage).toBe('done');
    expect(failure(() => server.finalize()).code).toBe('SECAGG_ABORTED');
  });
});

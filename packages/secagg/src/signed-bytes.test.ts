import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { advertisementBytes, unmaskRequestBytes } from './signed-bytes.js';
import { CONTEXT, siteNames } from './round-harness.test-suite.js';

describe('advertisementBytes', () => {
  const c = nacl.box.keyPair().publicKey;
  const s = nacl.box.keyPair().publicKey;

  it('is 198 bytes for every site and starts with its domain tag', () => {
    const short = advertisementBytes('a', c, s, CONTEXT);
    const long = advertisementBytes('a'.repeat(64), c, s, CONTEXT);
    expect(short).toHaveLength(198);
    expect(long).toHaveLength(198);
    expect(Buffer.from(short.subarray(1, 29)).toString()).toBe('cohortfl/secagg/v1/advertise');
  });

  it('changes with every field, so no key, site or round can be substituted', () => {
    const base = Buffer.from(advertisementBytes('site-a', c, s, CONTEXT)).toString('hex');
    const variants = [
      advertisementBytes('site-b', c, s, CONTEXT),
      advertisementBytes('site-a', s, c, CONTEXT),
      advertisementBytes('site-a', c, nacl.box.keyPair().publicKey, CONTEXT),
      advertisementBytes('site-a', c, s, { ...CONTEXT, attempt: 1 }),
      advertisementBytes('site-a', c, s, { ...CONTEXT, round: 0 }),
      advertisementBytes('site-a', c, s, { ...CONTEXT, taskHash: '00'.repeat(32) }),
    ].map((bytes) => Buffer.from(bytes).toString('hex'));
    expect(new Set([base, ...variants]).size).toBe(7);
  });

  it('refuses bad keys, sites and contexts', () => {
    expect(() => advertisementBytes('site-a', c.subarray(1), s, CONTEXT)).toThrow(/32 bytes/);
    expect(() => advertisementBytes('Site-A', c, s, CONTEXT)).toThrow(/site name/);
    expect(() => advertisementBytes('site-a', c, s, { ...CONTEXT, round: 1.5 })).toThrow(/uint32/);
  });
});

describe('unmaskRequestBytes', () => {
  const roster = siteNames(5);

  it('is constant-size for a roster and encodes each site’s status', () => {
    const a = unmaskRequestBytes(CONTEXT, roster, { survivors: ['site-00', 'site-01', 'site-02'], dropped: ['site-04'] });
    const b = unmaskRequestBytes(CONTEXT, [...roster].reverse(), { survivors: ['site-02', 'site-01', 'site-00', 'site-03'], dropped: [] });
    expect(a).toHaveLength(b.length);
    expect(Array.from(a.subarray(-5))).toEqual([1, 1, 1, 0, 2]);
    expect(Array.from(b.subarray(-5))).toEqual([1, 1, 1, 1, 0]);
  });

  it('refuses sites outside the roster or listed twice', () => {
    expect(() => unmaskRequestBytes(CONTEXT, roster, { survivors: ['site-09'], dropped: [] })).toThrow(/not in the roster/);
    expect(() => unmaskRequestBytes(CONTEXT, roster, { survivors: ['site-01'], dropped: ['site-01'] })).toThrow(/twice/);
  });
});

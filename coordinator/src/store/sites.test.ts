import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCohortError, keyFor, tempDir } from './fixtures.test-suite.js';
import { openStore } from './open-store.js';
import type { Store } from './types.js';

describe('sites', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(() => {
    tmp = tempDir();
    store = openStore(tmp.path);
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  it('enrolls a site and finds it by name and by key', () => {
    const row = store.addSite({ name: 'st-olav', publicKey: keyFor(1), at: 100 });
    expect(row).toEqual({
      name: 'st-olav',
      publicKey: keyFor(1),
      status: 'active',
      enrolledAt: 100,
      revokedAt: null,
      revokeReason: null,
      lastSeen: null,
    });
    expect(store.getSite('st-olav')).toEqual(row);
    expect(store.getSiteByKey(keyFor(1))).toEqual(row);
    expect(store.getSite('nobody')).toBeUndefined();
    expect(store.getSiteByKey(keyFor(9))).toBeUndefined();
  });

  it('lists sites by name', () => {
    store.addSite({ name: 'zeta', publicKey: keyFor(1), at: 1 });
    store.addSite({ name: 'alpha', publicKey: keyFor(2), at: 2 });
    expect(store.listSites().map((s) => s.name)).toEqual(['alpha', 'zeta']);
  });

  it('refuses a taken name, saying it is the name', () => {
    store.addSite({ name: 'st-olav', publicKey: keyFor(1), at: 100 });
    expectCohortError(() => store.addSite({ name: 'st-olav', publicKey: keyFor(2), at: 101 }), 'CONFIG_INVALID', /site name 'st-olav' is already taken/);
    expect(store.getSiteByKey(keyFor(2))).toBeUndefined();
  });

  it('refuses a taken key, naming the site that holds it', () => {
    store.addSite({ name: 'st-olav', publicKey: keyFor(1), at: 100 });
    expectCohortError(() => store.addSite({ name: 'haukeland', publicKey: keyFor(1), at: 101 }), 'CONFIG_INVALID', /already enrolled as site 'st-olav'/);
    expect(store.getSite('haukeland')).toBeUndefined();
  });

  it('refuses malformed names, keys and times', () => {
    expectCohortError(() => store.addSite({ name: 'St Olav', publicKey: keyFor(1), at: 1 }), 'CONFIG_INVALID', /not a site name/);
    expectCohortError(() => store.addSite({ name: 'a'.repeat(65), publicKey: keyFor(1), at: 1 }), 'CONFIG_INVALID');
    expectCohortError(() => store.addSite({ name: 'ok', publicKey: 'ed25519:short', at: 1 }), 'CONFIG_INVALID', /public key/);
    expectCohortError(() => store.addSite({ name: 'ok', publicKey: keyFor(1).slice('ed25519:'.length), at: 1 }), 'CONFIG_INVALID');
    expectCohortError(() => store.addSite({ name: 'ok', publicKey: keyFor(1), at: 1.5 }), 'DATA_INVALID', /milliseconds/);
    expectCohortError(() => store.addSite({ name: 'ok', publicKey: keyFor(1), at: -1 }), 'DATA_INVALID');
    expect(store.listSites()).toEqual([]);
  });

  it('revokes once; a second revocation keeps the first time and reason', () => {
    store.addSite({ name: 'st-olav', publicKey: keyFor(1), at: 100 });
    const revoked = store.revokeSite('st-olav', { at: 200, reason: 'key leaked' });
    expect(revoked).toMatchObject({ status: 'revoked', revokedAt: 200, revokeReason: 'key leaked' });
    expect(store.revokeSite('st-olav', { at: 300, reason: 'again' })).toEqual(revoked);
    expect(store.getSite('st-olav')).toEqual(revoked);
  });

  it('revokes without a reason, and refuses unknown sites', () => {
    store.addSite({ name: 'st-olav', publicKey: keyFor(1), at: 100 });
    expect(store.revokeSite('st-olav', { at: 200 })).toMatchObject({ status: 'revoked', revokeReason: null });
    expectCohortError(() => store.revokeSite('nobody', { at: 200 }), 'NOT_FOUND', /no site named 'nobody'/);
  });

  it('keeps a revoked site, so neither its name nor its key can be enrolled again', () => {
    store.addSite({ name: 'st-olav', publicKey: keyFor(1), at: 100 });
    store.revokeSite('st-olav', { at: 200 });
    expectCohortError(() => store.addSite({ name: 'st-olav', publicKey: keyFor(2), at: 300 }), 'CONFIG_INVALID', /revoked/);
    expectCohortError(() => store.addSite({ name: 'new-name', publicKey: keyFor(1), at: 300 }), 'CONFIG_INVALID', /st-olav/);
  });

  it('clips a very long revocation reason to the message limit', () => {
    store.addSite({ name: 'st-olav', publicKey: keyFor(1), at: 100 });
    const row = store.revokeSite('st-olav', { at: 200, reason: 'x'.repeat(5000) });
    expect(row.revokeReason).toHaveLength(1024);
    expect(row.revokeReason!.endsWith('…')).toBe(true);
  });

  it('records when a site was last seen', () => {
    store.addSite({ name: 'st-olav', publicKey: keyFor(1), at: 100 });
    store.touchSite('st-olav', 150);
    store.touchSite('st-olav', 175);
    expect(store.getSite('st-olav')!.lastSeen).toBe(175);
    expectCohortError(() => store.touchSite('nobody', 150), 'NOT_FOUND');
  });
});

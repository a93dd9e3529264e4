import { beforeAll, describe, expect, it } from 'vitest';
import { generateToken, hashAdminToken } from '@cohortfl/identity';
import { createAdminAuth, MAX_CHECKS_IN_FLIGHT, viewerTokenOf, VIEWER_TOKEN_PREFIX } from './admin-auth.js';

let admin: string;
let adminHash: string;
let viewerHash: string;

beforeAll(async () => {
  admin = generateToken();
  adminHash = await hashAdminToken(admin);
  viewerHash = await hashAdminToken(viewerTokenOf(admin));
});

describe('admin and viewer tokens', () => {
  it('gives the admin token the operator role, its viewer token the viewer role, anything else none', async () => {
    const auth = createAdminAuth(adminHash, viewerHash);
    expect(await auth(`Bearer ${admin}`)).toBe('operator');
    expect(await auth(`Bearer ${viewerTokenOf(admin)}`)).toBe('viewer');
    expect(viewerTokenOf(admin).startsWith(VIEWER_TOKEN_PREFIX)).toBe(true);
    for (const bad of [undefined, '', 'Bearer', `Basic ${admin}`, `Bearer ${admin}x`, `Bearer ${viewerTokenOf(generateToken())}`, `Bearer  ${admin}`]) {
      expect(await auth(bad), String(bad)).toBeNull();
    }
    // Without a stored viewer hash, a viewer token is just a wrong admin token.
    expect(await createAdminAuth(adminHash)(`Bearer ${viewerTokenOf(admin)}`)).toBeNull();
  });

  it('runs at most a few scrypt checks at once: more unknown tokens are refused without one', async () => {
    const auth = createAdminAuth(adminHash, viewerHash);
    const flood = Array.from({ length: MAX_CHECKS_IN_FLIGHT + 3 }, () => auth(`Bearer ${generateToken()}`));
    expect(await Promise.all(flood)).toEqual(flood.map(() => null));
    // The same token asked twice while its check runs shares that one check.
    const [a, b] = await Promise.all([auth(`Bearer ${admin}`), auth(`Bearer ${admin}`)]);
    expect([a, b]).toEqual(['operator', 'operator']);
  });

  it('keeps a granted verdict through a flood of wrong tokens', async () => {
    const auth = createAdminAuth(adminHash, viewerHash);
    expect(await auth(`Bearer ${admin}`)).toBe('operator');
    for (let i = 0; i < 6; i++) await Promise.all([auth(`Bearer ${generateToken()}`), auth(`Bearer ${generateToken()}`)]);
    // With every check slot taken by wrong tokens, an unknown token is refused…
    const busy = Array.from({ length: MAX_CHECKS_IN_FLIGHT }, () => auth(`Bearer ${generateToken()}`));
    expect(await auth(`Bearer ${viewerTokenOf(admin)}`)).toBeNull();
    // …but the operator, already granted, is answered from memory.
    expect(await auth(`Bearer ${admin}`)).toBe('operator');
    await Promise.all(busy);
  });
});

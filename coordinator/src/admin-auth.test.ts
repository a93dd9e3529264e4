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

const BAD = (token: string) => [undefined, '', 'Bearer', `Basic ${token}`, `Bearer ${token}x`, `Bearer ${viewerTokenOf(generateToken())}`, `Bearer  ${token}`];

describe('admin and viewer tokens, keyed comparison (the admin-token file at start)', () => {
  it('gives the admin token the operator role, its viewer token the viewer role, anything else none', async () => {
    const { auth, mode } = await createAdminAuth(adminHash, viewerHash, { adminToken: admin });
    expect(mode).toBe('keyed');
    expect(await auth(`Bearer ${admin}`)).toBe('operator');
    expect(await auth(`Bearer ${viewerTokenOf(admin)}`)).toBe('viewer');
    expect(viewerTokenOf(admin).startsWith(VIEWER_TOKEN_PREFIX)).toBe(true);
    for (const bad of BAD(admin)) expect(await auth(bad), String(bad)).toBeNull();
    // Without a stored viewer hash, a viewer token is just a wrong admin token.
    const adminOnly = await createAdminAuth(adminHash, undefined, { adminToken: admin });
    expect(adminOnly.mode).toBe('keyed');
    expect(await adminOnly.auth(`Bearer ${viewerTokenOf(admin)}`)).toBeNull();
  });

  it('accepts the right tokens with a thousand wrong ones in flight', async () => {
    const { auth } = await createAdminAuth(adminHash, viewerHash, { adminToken: admin });
    const flood = Array.from({ length: 1000 }, () => auth(`Bearer ${generateToken()}`));
    expect(await auth(`Bearer ${admin}`)).toBe('operator');
    expect(await auth(`Bearer ${viewerTokenOf(admin)}`)).toBe('viewer');
    expect(new Set(await Promise.all(flood))).toEqual(new Set([null]));
  });

  it('falls back to scrypt when the file does not match the stored hash', async () => {
    const { auth, mode } = await createAdminAuth(adminHash, viewerHash, { adminToken: generateToken() });
    expect(mode).toBe('scrypt');
    expect(await auth(`Bearer ${admin}`)).toBe('operator');
  });
});

describe('admin and viewer tokens, scrypt fallback (no admin-token file)', () => {
  it('gives each token its role, anything else none', async () => {
    const { auth, mode } = await createAdminAuth(adminHash, viewerHash);
    expect(mode).toBe('scrypt');
    expect(await auth(`Bearer ${admin}`)).toBe('operator');
    expect(await auth(`Bearer ${viewerTokenOf(admin)}`)).toBe('viewer');
    for (const bad of BAD(admin)) expect(await auth(bad), String(bad)).toBeNull();
    expect(await (await createAdminAuth(adminHash)).auth(`Bearer ${viewerTokenOf(admin)}`)).toBeNull();
  });

  it('runs at most a few scrypt checks at once: more unknown tokens are refused without one', async () => {
    const { auth } = await createAdminAuth(adminHash, viewerHash);
    const flood = Array.from({ length: MAX_CHECKS_IN_FLIGHT + 3 }, () => auth(`Bearer ${generateToken()}`));
    expect(await Promise.all(flood)).toEqual(flood.map(() => null));
    // The same token asked twice while its check runs shares that one check.
    const [a, b] = await Promise.all([auth(`Bearer ${admin}`), auth(`Bearer ${admin}`)]);
    expect([a, b]).toEqual(['operator', 'operator']);
  });

  it('keeps a granted verdict through a flood of wrong tokens', async () => {
    const { auth } = await createAdminAuth(adminHash, viewerHash);
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

import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { constantTimeEqual, generateToken, hashAdminToken, verifyAdminToken } from './tokens.js';

describe('tokens', () => {
  it('generates 32-byte base64url tokens that differ, behind a prefix a command line cannot mistake for options', () => {
    const a = generateToken();
    expect(a).toMatch(/^cfl_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.slice(4), 'base64url').length).toBe(32);
    expect(generateToken()).not.toBe(a);
    // A bare base64url token starts with '-' once in 64 (`--token -x…` then parses as flags).
    for (let i = 0; i < 2000; i++) expect(generateToken().startsWith('-')).toBe(false);
  });

  it('compares tokens: equal only when identical', () => {
    const token = 'k3Jx0-abc_DEF';
    expect(constantTimeEqual(token, `${token}`)).toBe(true);
    expect(constantTimeEqual(token, 'k3Jx0-abc_DEG')).toBe(false);
    expect(constantTimeEqual(token, `${token}x`)).toBe(false);
    expect(constantTimeEqual(token, '')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]))).toBe(false);
  });

  it('hashes an admin token with scrypt and a random salt, and verifies only that token', async () => {
    const token = 'admin-token-for-tests';
    const stored = await hashAdminToken(token);
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(stored).not.toContain(token);
    expect(await verifyAdminToken(token, stored)).toBe(true);
    expect(await verifyAdminToken('admin-token-for-tests ', stored)).toBe(false);
    expect(await verifyAdminToken('Admin-token-for-tests', stored)).toBe(false);
    expect(await verifyAdminToken('', stored)).toBe(false);
    const again = await hashAdminToken(token);
    expect(again).not.toBe(stored);
    expect(await verifyAdminToken(token, again)).toBe(true);
  });

  it('fails verification against a tampered hash or salt', async () => {
    const token = 'another-token';
    const stored = await hashAdminToken(token);
    const parts = stored.split('$');
    const hash = Buffer.from(parts[5]!, 'base64');
    hash[0] = hash[0]! ^ 1;
    expect(await verifyAdminToken(token, [...parts.slice(0, 5), hash.toString('base64')].join('$'))).toBe(false);
    const salt = Buffer.from(parts[4]!, 'base64');
    salt[15] = salt[15]! ^ 1;
    expect(await verifyAdminToken(token, [...parts.slice(0, 4), salt.toString('base64'), parts[5]].join('$'))).toBe(false);
  });

  it('refuses a malformed stored hash as CONFIG_INVALID rather than failing silently', async () => {
    const salt = Buffer.alloc(16, 7).toString('base64');
    const hash = Buffer.alloc(32, 9).toString('base64');
    const bad = [
      '',
      'plain-text-token',
      `bcrypt$16384$8$1$${salt}$${hash}`,
      `scrypt$16384$8$1$${salt}`,
      `scrypt$16385$8$1$${salt}$${hash}`,
      `scrypt$0$8$1$${salt}$${hash}`,
      `scrypt$016384$8$1$${salt}$${hash}`,
      `scrypt$${2 ** 21}$8$1$${salt}$${hash}`,
      `scrypt$${2 ** 20}$8$1$${salt}$${hash}`,
      `scrypt$16384$0$1$${salt}$${hash}`,
      `scrypt$16384$8$99$${salt}$${hash}`,
      `scrypt$16384$8$1$${Buffer.alloc(8).toString('base64')}$${hash}`,
      `scrypt$16384$8$1$${salt}$${Buffer.alloc(31).toString('base64')}`,
      `scrypt$16384$8$1$${salt}$${hash.replace(/=$/, '')}`,
    ];
    for (const stored of bad) {
      await expect(verifyAdminToken('x', stored), stored).rejects.toSatisfy((error) => isCohortError(error, 'CONFIG_INVALID'));
    }
    await expect(hashAdminToken('')).rejects.toSatisfy((error) => isCohortError(error, 'CONFIG_INVALID'));
  });
});

/**
 * Where node:crypto has no working Ed25519 (an OpenSSL without it, or one that answers
 * wrongly), the known-answer test at load leaves tweetnacl in charge and everything still
 * signs and verifies. node:crypto is replaced here by a copy whose Ed25519 signing fails.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.doUnmock('node:crypto');
  vi.resetModules();
});

async function loadWith(sign: (...args: unknown[]) => unknown): Promise<{ ed: typeof import('./ed25519.js'); sig: typeof import('./signature.js'); keys: typeof import('./keys.js'); ctx: typeof import('./sign-context.js') }> {
  vi.resetModules();
  vi.doMock('node:crypto', async () => {
    const real = await vi.importActual<typeof import('node:crypto')>('node:crypto');
    return { ...real, default: { ...real, sign }, sign };
  });
  return { ed: await import('./ed25519.js'), sig: await import('./signature.js'), keys: await import('./keys.js'), ctx: await import('./sign-context.js') };
}

describe('Ed25519 without node:crypto', () => {
  const cases: Array<[string, (...args: unknown[]) => unknown]> = [
    ['throws (no Ed25519 in this OpenSSL)', () => {
      throw new Error('Unsupported key type');
    }],
    ['answers wrongly', () => Buffer.alloc(64, 7)],
  ];

  it.each(cases)('falls back to tweetnacl when node:crypto signing %s, and still signs and verifies', async (_what, sign) => {
    const { ed, sig, keys, ctx } = await loadWith(sign);
    expect(ed.ed25519Implementation()).toBe('tweetnacl');
    expect(() => ed.setEd25519Implementation('node')).toThrow(/no working Ed25519/);
    expect(ed.setEd25519Implementation('auto')).toBe('tweetnacl');
    const pair = keys.generateIdentity();
    const context = { domain: ctx.SIGN_DOMAINS.AUDIT, taskHash: '00'.repeat(32), round: 1, attempt: 0, site: 'coordinator', phase: 'audit' } as const;
    const signature = sig.signPayload(pair.secretKey, context, new Uint8Array([1]));
    expect(sig.verifyPayload(pair.publicKey, context, new Uint8Array([1]), signature)).toBe(true);
    expect(sig.verifyPayload(pair.publicKey, context, new Uint8Array([2]), signature)).toBe(false);
  });

  it('uses node:crypto when it passes the known-answer test', async () => {
    const real = await vi.importActual<typeof import('node:crypto')>('node:crypto');
    const { ed } = await loadWith(real.sign as (...args: unknown[]) => unknown);
    expect(ed.ed25519Implementation()).toBe('node');
  });
});

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import nacl from 'tweetnacl';
import { isCohortError } from '@cohortfl/wire';
import { decodePublicKey, encodePublicKey, fingerprint, generateIdentity, identityFromSeed } from './keys.js';

const seed = (start: number) => Uint8Array.from({ length: 32 }, (_, i) => (start + i) & 0xff);

function expectConfigError(run: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(isCohortError(caught, 'CONFIG_INVALID')).toBe(true);
  expect((caught as Error).message).toMatch(pattern);
}

describe('keys', () => {
  it('generates distinct, working Ed25519 key pairs of the right sizes', () => {
    const a = generateIdentity();
    const b = generateIdentity();
    expect(a.publicKey.length).toBe(32);
    expect(a.secretKey.length).toBe(64);
    expect(Buffer.from(a.publicKey).equals(Buffer.from(b.publicKey))).toBe(false);
    const message = new Uint8Array([1, 2, 3]);
    expect(nacl.sign.detached.verify(message, nacl.sign.detached(message, a.secretKey), a.publicKey)).toBe(true);
  });

  it('derives the same pair from the same seed and refuses a short seed', () => {
    expect(identityFromSeed(seed(0)).publicKey).toEqual(identityFromSeed(seed(0)).publicKey);
    expect(identityFromSeed(seed(1)).publicKey).not.toEqual(identityFromSeed(seed(0)).publicKey);
    expectConfigError(() => identityFromSeed(new Uint8Array(31)), /32 bytes/);
  });

  it('round-trips the text form and matches the documented shape', () => {
    const { publicKey } = identityFromSeed(seed(0));
    const text = encodePublicKey(publicKey);
    expect(text).toMatch(/^ed25519:[A-Za-z0-9_-]{43}$/);
    expect(decodePublicKey(text)).toEqual(publicKey);
    expect(text).toBe('ed25519:A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg');
  });

  it('refuses a wrong prefix, bad characters, padding, wrong lengths and non-canonical spellings', () => {
    const text = encodePublicKey(identityFromSeed(seed(0)).publicKey);
    const body = text.slice('ed25519:'.length);
    expectConfigError(() => decodePublicKey(body), /prefix.*looks like 'ed25519:'/);
    expectConfigError(() => decodePublicKey(`x25519:${body}`), /prefix/);
    expectConfigError(() => decodePublicKey(`ED25519:${body}`), /prefix/);
    expectConfigError(() => decodePublicKey(`ed25519:${body.slice(0, 42)}+`), /bad characters/);
    expectConfigError(() => decodePublicKey(`ed25519:${body.slice(0, 42)}/`), /bad characters/);
    expectConfigError(() => decodePublicKey(`${text}=`), /bad characters/);
    expectConfigError(() => decodePublicKey(`ed25519: ${body}`), /bad characters/);
    expectConfigError(() => decodePublicKey(`ed25519:${body.slice(0, 40)}`), /30 bytes, expected 32/);
    expectConfigError(() => decodePublicKey(`ed25519:${body}AAAA`), /35 bytes, expected 32/);
    expectConfigError(() => decodePublicKey('ed25519:'), /0 bytes/);
    // The last character carries 2 unused bits: 'g' is canonical for this key, 'h' is not.
    expect(body.endsWith('g')).toBe(true);
    expectConfigError(() => decodePublicKey(`ed25519:${body.slice(0, 42)}h`), /bad characters/);
    expectConfigError(() => decodePublicKey(42 as unknown as string), /prefix/);
  });

  it('refuses to encode or fingerprint a key of the wrong size', () => {
    expectConfigError(() => encodePublicKey(new Uint8Array(31)), /32 bytes/);
    expectConfigError(() => encodePublicKey(new Uint8Array(64)), /32 bytes/);
    expectConfigError(() => fingerprint(new Uint8Array(33)), /32 bytes/);
  });

  it('fingerprints as the first 16 hex characters of SHA-256, in groups of four', () => {
    const { publicKey } = identityFromSeed(seed(0));
    const print = fingerprint(publicKey);
    expect(print).toMatch(/^[0-9a-f]{4}(:[0-9a-f]{4}){3}$/);
    const sha = createHash('sha256').update(publicKey).digest('hex');
    expect(print.replaceAll(':', '')).toBe(sha.slice(0, 16));
    expect(fingerprint(identityFromSeed(seed(1)).publicKey)).not.toBe(print);
  });
});


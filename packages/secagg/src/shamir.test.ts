import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FIELD_PRIME, elementToBytes, invert, mul, randomElement, sub } from './field.js';
import { combine, decodeShare, encodeShare, interpolateAtZero, split, type ShamirShare } from './shamir.js';
import { seeded } from './round-harness.test-suite.js';

const secret = (): Uint8Array => new Uint8Array(randomBytes(32));
const xsOf = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

function subset<T>(list: readonly T[], size: number, rng: ReturnType<typeof seeded>): T[] {
  const copy = [...list];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, size);
}

describe('GF(2^521 − 1)', () => {
  it('inverts and reduces correctly', () => {
    for (let i = 0; i < 20; i++) {
      const a = randomElement();
      if (a === 0n) continue;
      expect(mul(a, invert(a))).toBe(1n);
    }
    expect(invert(FIELD_PRIME - 1n)).toBe(FIELD_PRIME - 1n); // (−1)^−1 = −1
    expect(sub(0n, 1n)).toBe(FIELD_PRIME - 1n);
    expect(mul(FIELD_PRIME - 1n, FIELD_PRIME - 1n)).toBe(1n);
    expect(() => invert(0n)).toThrow();
  });
});

describe('Shamir sharing', () => {
  it('any t shares reconstruct the secret, in any order', () => {
    const rng = seeded(1);
    for (let trial = 0; trial < 30; trial++) {
      const n = rng.int(1, 40);
      const t = rng.int(1, n);
      const xs = subset(xsOf(1024), n, rng);
      const s = secret();
      const shares = split(s, n, t, xs);
      expect(shares).toHaveLength(n);
      for (const share of shares) expect(share.y).toHaveLength(66);
      expect(combine(subset(shares, t, rng), t)).toEqual(s);
      expect(combine(subset(shares, rng.int(t, n), rng), t)).toEqual(s);
    }
  });

  it('t − 1 shares do not reconstruct (interpolation misses the secret in every trial)', () => {
    const rng = seeded(2);
    for (let trial = 0; trial < 200; trial++) {
      const n = rng.int(2, 12);
      const t = rng.int(2, n);
      const s = secret();
      const shares = subset(split(s, n, t, xsOf(n)), t - 1, rng);
      const value = interpolateAtZero(shares);
      expect(value).not.toBe(BigInt('0x' + Buffer.from(s).toString('hex')));
      // Too few shares give a value spread over the whole field, so as a 32-byte secret it is refused.
      expect(code(() => combine(shares))).toBe('MESSAGE_INVALID');
    }
  });

  it('refuses bad split inputs', () => {
    const s = secret();
    expect(code(() => split(s, 3, 2, [1, 1, 2]))).toBe('MESSAGE_INVALID');
    expect(code(() => split(s, 3, 2, [0, 1, 2]))).toBe('MESSAGE_INVALID');
    expect(code(() => split(s, 3, 2, [1, 2, 65_536]))).toBe('MESSAGE_INVALID');
    expect(code(() => split(s, 3, 2, [1, 2, 2.5]))).toBe('MESSAGE_INVALID');
    expect(code(() => split(s, 3, 4, [1, 2, 3]))).toBe('MESSAGE_INVALID');
    expect(code(() => split(s, 3, 0, [1, 2, 3]))).toBe('MESSAGE_INVALID');
    expect(code(() => split(s, 4, 2, [1, 2, 3]))).toBe('MESSAGE_INVALID');
    expect(code(() => split(new Uint8Array(31), 3, 2, [1, 2, 3]))).toBe('MESSAGE_INVALID');
  });

  it('refuses too few, duplicate, zero, out-of-range and inconsistent shares', () => {
    const s = secret();
    const shares = split(s, 5, 3, xsOf(5));
    expect(code(() => combine(shares.slice(0, 2), 3))).toBe('MESSAGE_INVALID');
    expect(code(() => combine([shares[0]!, shares[0]!, shares[1]!], 3))).toBe('MESSAGE_INVALID');
    expect(code(() => combine([{ x: 0, y: shares[0]!.y }, shares[1]!, shares[2]!], 3))).toBe('MESSAGE_INVALID');
    const tooBig: ShamirShare = { x: shares[0]!.x, y: new Uint8Array(66).fill(0xff) };
    expect(code(() => combine([tooBig, shares[1]!, shares[2]!], 3))).toBe('MESSAGE_INVALID');
    expect(code(() => combine([{ x: 1, y: new Uint8Array(65) }, shares[1]!, shares[2]!], 3))).toBe('MESSAGE_INVALID');
    const tampered = { x: shares[4]!.x, y: Uint8Array.from(shares[4]!.y) };
    tampered.y[65]! ^= 1;
    expect(code(() => combine([...shares.slice(0, 4), tampered], 3))).toBe('MESSAGE_INVALID');
    expect(combine(shares, 3)).toEqual(s);
  });

  it('encodes shares as 68 fixed bytes and refuses malformed encodings', () => {
    const [share] = split(secret(), 1, 1, [65_535]);
    const bytes = encodeShare(share!);
    expect(bytes).toHaveLength(68);
    expect(bytes[0]).toBe(0xff);
    expect(decodeShare(bytes)).toEqual(share);
    expect(code(() => decodeShare(bytes.subarray(1)))).toBe('MESSAGE_INVALID');
    const zeroX = Uint8Array.from(bytes);
    zeroX[0] = 0;
    zeroX[1] = 0;
    expect(code(() => decodeShare(zeroX))).toBe('MESSAGE_INVALID');
    const overP = Uint8Array.from(bytes);
    overP.set(elementToBytes(FIELD_PRIME - 1n), 2);
    overP[67] = 0xff; // p itself: 0x01ff…ff
    expect(code(() => decodeShare(overP))).toBe('MESSAGE_INVALID');
  });
});

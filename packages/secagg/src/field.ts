import { randomBytes } from 'node:crypto';
import { invalid } from './fail.js';
import { SIZES } from './vocabulary.js';

/**
 * Arithmetic in GF(p), p = 2^521 − 1 (a Mersenne prime), with BigInt. The field is
 * far larger than the 256-bit secrets it carries, and a Mersenne modulus reduces
 * with a shift and an add instead of a division.
 */
export const FIELD_BITS = 521n;
export const FIELD_PRIME = (1n << FIELD_BITS) - 1n;
const SECRET_LIMIT = 1n << 256n;

/** x mod p for any x ≥ 0 (folds the high bits onto the low ones: 2^521 ≡ 1). */
function reduce(x: bigint): bigint {
  let r = x;
  while (r > FIELD_PRIME) r = (r & FIELD_PRIME) + (r >> FIELD_BITS);
  return r === FIELD_PRIME ? 0n : r;
}

export function add(a: bigint, b: bigint): bigint {
  return reduce(a + b);
}

export function sub(a: bigint, b: bigint): bigint {
  return reduce(a + FIELD_PRIME - b);
}

export function mul(a: bigint, b: bigint): bigint {
  return reduce(a * b);
}

/** Any integer (negative allowed) as a field element. */
export function fromInteger(value: number): bigint {
  const r = BigInt(value) % FIELD_PRIME;
  return r < 0n ? r + FIELD_PRIME : r;
}

/** a^(−1) by the extended Euclidean algorithm; fast for the small differences of x-coordinates. */
export function invert(a: bigint): bigint {
  if (a === 0n) throw invalid('zero has no inverse in the field');
  let [r0, r1] = [FIELD_PRIME, a];
  let [t0, t1] = [0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return t0 < 0n ? t0 + FIELD_PRIME : t0;
}

/** A uniform field element from the CSPRNG: 521 random bits, rejecting the single value p. */
export function randomElement(): bigint {
  for (;;) {
    const bytes = randomBytes(SIZES.FIELD);
    bytes[0]! &= 0x01; // 66 bytes = 528 bits; keep the low 521
    const value = BigInt('0x' + bytes.toString('hex'));
    bytes.fill(0);
    if (value < FIELD_PRIME) return value;
  }
}

/** A field element as 66 big-endian bytes. */
export function elementToBytes(value: bigint): Uint8Array {
  if (value < 0n || value >= FIELD_PRIME) throw invalid('value is not a field element');
  return new Uint8Array(Buffer.from(value.toString(16).padStart(SIZES.FIELD * 2, '0'), 'hex'));
}

/** 66 big-endian bytes as a field element; MESSAGE_INVALID if out of range. */
export function elementFromBytes(bytes: Uint8Array): bigint {
  if (!(bytes instanceof Uint8Array) || bytes.length !== SIZES.FIELD) throw invalid('a field element must be 66 bytes');
  const value = BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex'));
  if (value >= FIELD_PRIME) throw invalid('share value is not below the field prime 2^521 − 1');
  return value;
}

/** A 32-byte secret as a field element (always < 2^256 < p). */
export function secretToElement(secret: Uint8Array): bigint {
  if (!(secret instanceof Uint8Array) || secret.length !== SIZES.SECRET) throw invalid('a secret must be 32 bytes');
  return BigInt('0x' + Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength).toString('hex'));
}

/** A field element back to a 32-byte secret; MESSAGE_INVALID if it does not fit (inconsistent shares). */
export function elementToSecret(value: bigint): Uint8Array {
  if (value < 0n || value >= SECRET_LIMIT) {
    throw invalid('reconstructed value is not a 32-byte secret: the shares are inconsistent or too few');
  }
  return new Uint8Array(Buffer.from(value.toString(16).padStart(SIZES.SECRET * 2, '0'), 'hex'));
}

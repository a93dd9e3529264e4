import { concatBytes, u16be } from './bytes.js';
import { invalid } from './fail.js';
import {
  add,
  elementFromBytes,
  elementToBytes,
  elementToSecret,
  fromInteger,
  invert,
  mul,
  randomElement,
  secretToElement,
  sub,
} from './field.js';
import { SIZES } from './vocabulary.js';

/**
 * Shamir secret sharing of 32-byte secrets over GF(2^521 − 1). A share is the value
 * of a random polynomial of degree t − 1 (constant term = the secret, other
 * coefficients from the CSPRNG) at a public x in 1..65535.
 */
export interface ShamirShare {
  /** u16, never 0 (the secret lives at 0). */
  x: number;
  /** The polynomial's value at x: 66 big-endian bytes, below 2^521 − 1. */
  y: Uint8Array;
}

interface Point {
  x: number;
  y: bigint;
}

const MAX_X = 0xffff;
const inverses = new Map<number, bigint>();

function inverseOf(difference: number): bigint {
  let inverse = inverses.get(difference);
  if (inverse === undefined) {
    inverse = invert(fromInteger(difference));
    inverses.set(difference, inverse);
  }
  return inverse;
}

function checkXs(xs: readonly number[]): void {
  const seen = new Set<number>();
  for (const x of xs) {
    if (!Number.isInteger(x) || x < 1 || x > MAX_X) throw invalid(`share x-coordinate ${String(x)} is not in 1..65535`);
    if (seen.has(x)) throw invalid(`duplicate share x-coordinate ${x}`);
    seen.add(x);
  }
}

/** Splits a 32-byte secret into n shares at the given xs, any t of which reconstruct it. */
export function split(secret: Uint8Array, n: number, t: number, xs: readonly number[]): ShamirShare[] {
  const constant = secretToElement(secret);
  if (!Number.isInteger(n) || n < 1 || n !== xs.length) throw invalid('n must be a positive integer equal to xs.length');
  if (!Number.isInteger(t) || t < 1 || t > n) throw invalid(`threshold ${String(t)} must be an integer in 1..${n}`);
  checkXs(xs);
  const coefficients = [constant];
  for (let i = 1; i < t; i++) coefficients.push(randomElement());
  return xs.map((x) => {
    const point = fromInteger(x);
    let value = 0n;
    for (let i = coefficients.length - 1; i >= 0; i--) value = add(mul(value, point), coefficients[i]!);
    return { x, y: elementToBytes(value) };
  });
}

/** Newton divided differences of the points: the coefficients of their interpolating polynomial. */
function newtonCoefficients(points: readonly Point[]): bigint[] {
  const c = points.map((p) => p.y);
  for (let j = 1; j < points.length; j++) {
    for (let i = points.length - 1; i >= j; i--) {
      c[i] = mul(sub(c[i]!, c[i - 1]!), inverseOf(points[i]!.x - points[i - j]!.x));
    }
  }
  return c;
}

function evaluateNewton(points: readonly Point[], c: readonly bigint[], at: number): bigint {
  let value = c[c.length - 1]!;
  for (let i = c.length - 2; i >= 0; i--) value = add(c[i]!, mul(fromInteger(at - points[i]!.x), value));
  return value;
}

function toPoints(shares: readonly ShamirShare[]): Point[] {
  if (!Array.isArray(shares)) throw invalid('shares must be an array');
  checkXs(shares.map((s) => (typeof s === 'object' && s !== null ? s.x : Number.NaN)));
  return shares.map((s) => ({ x: s.x, y: elementFromBytes(s.y) }));
}

/** The interpolating polynomial of all given shares, evaluated at 0 (a field element). */
export function interpolateAtZero(shares: readonly ShamirShare[]): bigint {
  const points = toPoints(shares);
  if (points.length === 0) throw invalid('no shares to interpolate');
  return evaluateNewton(points, newtonCoefficients(points), 0);
}

/**
 * Reconstructs the secret from at least `threshold` shares: interpolates the first
 * `threshold` at 0 and checks that every further share lies on the same polynomial,
 * so an inconsistent share is refused (MESSAGE_INVALID) instead of silently
 * changing the secret. Also refuses a result that is not a 32-byte value.
 */
export function combine(shares: readonly ShamirShare[], threshold: number = shares.length): Uint8Array {
  const points = toPoints(shares);
  if (!Number.isInteger(threshold) || threshold < 1) throw invalid('threshold must be a positive integer');
  if (points.length < threshold) throw invalid(`${points.length} shares given, at least ${threshold} needed`);
  const base = points.slice(0, threshold);
  const c = newtonCoefficients(base);
  for (const extra of points.slice(threshold)) {
    if (evaluateNewton(base, c, extra.x) !== extra.y) {
      throw invalid(`share at x = ${extra.x} is inconsistent with the others`);
    }
  }
  return elementToSecret(evaluateNewton(base, c, 0));
}

/** A share as 68 bytes: u16be x || 66-byte y. */
export function encodeShare(share: ShamirShare): Uint8Array {
  checkXs([share.x]);
  elementFromBytes(share.y);
  return concatBytes([u16be(share.x), share.y]);
}

/** 68 bytes back to a share; MESSAGE_INVALID on a wrong size, x = 0 or y ≥ p. */
export function decodeShare(bytes: Uint8Array): ShamirShare {
  if (!(bytes instanceof Uint8Array) || bytes.length !== SIZES.SHARE) throw invalid('an encoded share must be 68 bytes');
  const x = (bytes[0]! << 8) | bytes[1]!;
  checkXs([x]);
  const y = bytes.slice(2);
  elementFromBytes(y);
  return { x, y };
}

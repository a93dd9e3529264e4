import { createHash, timingSafeEqual } from 'node:crypto';
import { isSiteName } from '@cohortfl/wire';
import { SIZES } from './vocabulary.js';
import { invalid } from './fail.js';

const utf8 = new TextEncoder();

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A domain tag as u8 length || ASCII, so no tag is a prefix of another's encoding. */
export function encodeTag(tag: string): Uint8Array {
  const bytes = utf8.encode(tag);
  return concatBytes([Uint8Array.of(bytes.length), bytes]);
}

/**
 * A site name as a fixed 65-byte field: u8 length || name zero-padded to 64 bytes.
 * Site names are lowercase ASCII (wire's SITE_NAME_PATTERN), so the field is one-to-one.
 */
export function encodeSite(site: string): Uint8Array {
  if (!isSiteName(site)) throw invalid(`'${String(site).slice(0, 80)}' is not a valid site name`);
  const out = new Uint8Array(SIZES.SITE);
  const bytes = utf8.encode(site);
  out[0] = bytes.length;
  out.set(bytes, 1);
  return out;
}

export function u16be(value: number): Uint8Array {
  return Uint8Array.of((value >>> 8) & 0xff, value & 0xff);
}

export function u32be(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, false);
  return out;
}

export function sha256(parts: readonly Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

/** Constant-time equality for secrets and keys (false on different lengths). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function isBytes(value: unknown, length?: number): value is Uint8Array {
  return value instanceof Uint8Array && (length === undefined || value.length === length);
}

/** Best-effort wipe of secret material we no longer need (JS cannot promise more). */
export function wipe(...buffers: (Uint8Array | undefined)[]): void {
  for (const buffer of buffers) buffer?.fill(0);
}

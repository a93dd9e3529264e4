import { createCipheriv } from 'node:crypto';
import { isBytes } from './bytes.js';
import { invalid } from './fail.js';
import { SIZES } from './vocabulary.js';

/**
 * Mask expansion: the ChaCha20 keystream (RFC 8439 via node:crypto, i.e. OpenSSL)
 * read as little-endian uint32 words. Every key masks exactly one vector, so the IV
 * (32-bit block counter and 96-bit nonce) is all zeros.
 */
const CHUNK_WORDS = 16_384;
const ZEROS = Buffer.alloc(CHUNK_WORDS * 4);
const IV = Buffer.alloc(16);
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** A keystream source that hands out words in order. */
export interface WordStream {
  /** The next `count` words (count ≤ 16384), valid until the next call. */
  next(count: number): Uint32Array;
}

export function createWordStream(key: Uint8Array): WordStream {
  if (!isBytes(key, SIZES.KEY)) throw invalid('a mask key must be 32 bytes');
  const cipher = createCipheriv('chacha20', key, IV);
  const aligned = new Uint32Array(CHUNK_WORDS);
  return {
    next(count: number): Uint32Array {
      if (!Number.isInteger(count) || count < 0 || count > CHUNK_WORDS) throw invalid('word count out of range');
      const bytes = cipher.update(ZEROS.subarray(0, count * 4));
      if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, count);
      // Unaligned pool slice or a big-endian host: read the words as little-endian explicitly.
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < count; i++) aligned[i] = view.getUint32(i * 4, true);
      return aligned.subarray(0, count);
    },
  };
}

/** target ← target + sign · PRG(key) (mod 2^32), in place, in 64 KiB chunks. */
export function applyMask(target: Uint32Array, key: Uint8Array, sign: 1 | -1): void {
  applyMasks(target, [{ key, sign }]);
}

/** One mask of applyMasks: the key of its keystream and whether it is added or subtracted. */
export interface SignedMask {
  key: Uint8Array;
  sign: 1 | -1;
}

/**
 * target ← target + Σ sign · PRG(key) (mod 2^32), in place. The masks are expanded
 * side by side, 64 KiB of each at a time, and added into the same 64 KiB of the
 * target while it is in cache: one pass over the target instead of one per mask.
 * The result is the same as applying each mask in turn (addition mod 2^32 commutes).
 */
export function applyMasks(target: Uint32Array, masks: readonly SignedMask[]): void {
  if (!(target instanceof Uint32Array)) throw invalid('mask target must be a Uint32Array');
  if (!Array.isArray(masks)) throw invalid('masks must be an array');
  for (const mask of masks) if (mask?.sign !== 1 && mask?.sign !== -1) throw invalid('a mask sign must be 1 or -1');
  const streams = masks.map((mask) => createWordStream(mask.key));
  // Same bits as uint32 arithmetic mod 2^32, but int32 keeps V8 on its fast integer path.
  const out = new Int32Array(target.buffer, target.byteOffset, target.length);
  for (let offset = 0; offset < out.length; offset += CHUNK_WORDS) {
    const count = Math.min(CHUNK_WORDS, out.length - offset);
    for (let m = 0; m < streams.length; m++) {
      const chunk = streams[m]!.next(count);
      const words = new Int32Array(chunk.buffer, chunk.byteOffset, count);
      if (masks[m]!.sign === 1) for (let i = 0, k = offset; i < count; i++, k++) out[k] = (out[k]! + words[i]!) | 0;
      else for (let i = 0, k = offset; i < count; i++, k++) out[k] = (out[k]! - words[i]!) | 0;
    }
  }
}

/** PRG(key) as `length` uint32 words. */
export function expandMask(key: Uint8Array, length: number): Uint32Array {
  if (!Number.isInteger(length) || length < 0) throw invalid('mask length must be a non-negative integer');
  const out = new Uint32Array(length);
  applyMask(out, key, 1);
  return out;
}

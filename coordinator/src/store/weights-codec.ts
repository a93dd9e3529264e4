/**
 * Checkpoint weights as stored: the Float32Array's own bytes (little-endian on
 * every platform Node supports) and their SHA-256, checked again on every read.
 */
import { createHash } from 'node:crypto';
import { CohortError } from '@cohortfl/wire';
import { refuse } from './check.js';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A private copy of the exact bytes, so later changes to `weights` cannot reach the store. */
export function encodeWeights(weights: unknown, what: string): { blob: Buffer; sha256: string } {
  if (!(weights instanceof Float32Array)) refuse('DATA_INVALID', `${what} must be a Float32Array`);
  if (weights.length === 0) refuse('DATA_INVALID', `${what} is empty`);
  const blob = Buffer.from(new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength));
  return { blob, sha256: sha256Hex(blob) };
}

/** The stored bytes as a fresh, aligned Float32Array, after checking they are the bytes that were saved. */
export function decodeWeights(blob: Uint8Array, sha256: string, what: string): Float32Array {
  if (sha256Hex(blob) !== sha256) {
    throw new CohortError('INTERNAL', `${what} is corrupt: its weights no longer match their SHA-256 (${sha256})`);
  }
  if (blob.byteLength % Float32Array.BYTES_PER_ELEMENT !== 0) {
    throw new CohortError('INTERNAL', `${what} is corrupt: ${blob.byteLength} bytes is not a whole number of float32 values`);
  }
  // Copying into a new buffer aligns it: a Buffer may sit at any offset of a shared pool.
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

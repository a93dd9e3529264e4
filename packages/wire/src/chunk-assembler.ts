/**
 * Reassembles weights sent as `model/chunk` messages. Chunks may arrive in any
 * order; every chunk must agree with the first (and with what the signed
 * `round/start` announced), and the result is released only once its SHA-256
 * matches. Any refusal poisons the assembler: the caller starts over.
 */
import { createHash } from 'node:crypto';
import { CohortError } from './errors.js';
import { LIMITS } from './limits.js';
import type { ModelChunk } from './messages.js';
import { parseBody } from './parse-envelope.js';
import { refusal } from './refusal.js';

export interface ChunkAssemblerOptions {
  /** Largest reassembled model, in bytes. */
  maxBytes?: number;
  /** Values announced elsewhere (the round's `weightsHash` and `weightsChunks`, its key); chunks must match. */
  expect?: Partial<Pick<ModelChunk, 'taskHash' | 'round' | 'attempt' | 'hash' | 'total'>>;
}

type Key = Pick<ModelChunk, 'taskHash' | 'round' | 'attempt' | 'hash' | 'total'>;
const KEY_FIELDS = ['taskHash', 'round', 'attempt', 'hash', 'total'] as const;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class ChunkAssembler {
  private readonly maxBytes: number;
  private readonly expected: Partial<Key>;
  private key: Key | undefined;
  private readonly parts = new Map<number, Uint8Array>();
  private bytes = 0;
  private state: 'open' | 'done' | 'failed' = 'open';

  constructor(options: ChunkAssemblerOptions = {}) {
    this.maxBytes = options.maxBytes ?? LIMITS.MAX_MODEL_BYTES;
    if (!Number.isSafeInteger(this.maxBytes) || this.maxBytes < 1) {
      throw new CohortError('CONFIG_INVALID', 'maxBytes must be a positive integer');
    }
    this.expected = { ...options.expect };
  }

  get received(): number {
    return this.parts.size;
  }

  get total(): number | undefined {
    return this.key?.total ?? this.expected.total;
  }

  get complete(): boolean {
    return this.state === 'done';
  }

  /** Take one chunk; returns the weights when the last one arrives, otherwise undefined. */
  accept(chunk: ModelChunk): Float32Array | undefined {
    if (this.state !== 'open') throw refusal('SCHEMA', `model chunk after the assembly ${this.state === 'done' ? 'completed' : 'failed'}`);
    try {
      return this.take(parseBody('model/chunk', chunk));
    } catch (error) {
      this.state = 'failed';
      this.parts.clear();
      throw error;
    }
  }

  private take(chunk: ModelChunk): Float32Array | undefined {
    const key = (this.key ??= this.firstKey(chunk));
    for (const field of KEY_FIELDS) {
      if (chunk[field] !== key[field]) throw refusal('SCHEMA', `model chunk ${field} differs from the first chunk's`, { field });
    }
    const seen = this.parts.get(chunk.index);
    if (seen !== undefined) {
      if (sameBytes(seen, chunk.data)) return undefined;
      throw refusal('SCHEMA', `model chunk ${chunk.index} received twice with different bytes`, { index: chunk.index });
    }
    this.bytes += chunk.data.byteLength;
    if (this.bytes > this.maxBytes) {
      throw refusal('TOO_LARGE', `chunked model exceeds the limit of ${this.maxBytes} bytes`, { limit: this.maxBytes });
    }
    this.parts.set(chunk.index, chunk.data);
    return this.parts.size === key.total ? this.finish(key) : undefined;
  }

  private firstKey(chunk: ModelChunk): Key {
    const key: Key = { taskHash: chunk.taskHash, round: chunk.round, attempt: chunk.attempt, hash: chunk.hash, total: chunk.total };
    for (const field of KEY_FIELDS) {
      const want = this.expected[field];
      if (want !== undefined && want !== key[field]) {
        throw refusal('SCHEMA', `model chunk ${field} differs from the announced one`, { field });
      }
    }
    return key;
  }

  private finish(key: Key): Float32Array {
    if (this.bytes % Float32Array.BYTES_PER_ELEMENT !== 0) {
      throw refusal('SCHEMA', `chunked model of ${this.bytes} bytes is not a whole number of float32 values`);
    }
    // A fresh ArrayBuffer: aligned for Float32Array, and owned by the result alone.
    const out = new Uint8Array(this.bytes);
    const digest = createHash('sha256');
    let offset = 0;
    for (let i = 0; i < key.total; i++) {
      const part = this.parts.get(i) as Uint8Array;
      out.set(part, offset);
      digest.update(part);
      offset += part.byteLength;
    }
    if (digest.digest('hex') !== key.hash) throw refusal('HASH', 'model hash mismatch');
    this.state = 'done';
    this.parts.clear();
    return new Float32Array(out.buffer);
  }
}

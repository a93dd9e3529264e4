import { createHash } from 'node:crypto';
import { CohortError } from './errors.js';
import { LIMITS } from './limits.js';

function bytesOf(weights: Float32Array): Uint8Array {
  return new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
}

/** SHA-256 (lowercase hex) of a Float32Array's little-endian bytes: `weightsHash` and `model/chunk.hash`. */
export function hashWeights(weights: Float32Array): string {
  return createHash('sha256').update(bytesOf(weights)).digest('hex');
}

export interface SplitWeights {
  hash: string;
  /** Copies, so later changes to the weights cannot alter a chunk already queued. */
  chunks: Uint8Array[];
}

/** Cut weights into slices of at most `chunkBytes` bytes for `model/chunk` messages. */
export function splitIntoChunks(weights: Float32Array, chunkBytes: number): SplitWeights {
  if (!(weights instanceof Float32Array) || weights.length === 0) {
    throw new CohortError('MESSAGE_INVALID', 'only a non-empty Float32Array can be chunked');
  }
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) {
    throw new CohortError('CONFIG_INVALID', 'chunkBytes must be a positive integer');
  }
  const all = bytesOf(weights);
  const count = Math.ceil(all.byteLength / chunkBytes);
  if (count > LIMITS.MAX_CHUNKS) {
    throw new CohortError('CONFIG_INVALID', `${count} chunks exceed the protocol's ${LIMITS.MAX_CHUNKS}; use larger chunks`);
  }
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < all.byteLength; offset += chunkBytes) {
    chunks.push(all.slice(offset, offset + chunkBytes));
  }
  return { hash: hashWeights(weights), chunks };
}

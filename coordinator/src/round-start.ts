/**
 * The frames that announce one phase to one site, encoded once per phase and shared by the
 * cohort (the same bytes go to every site, so a model is packed once, not once per site):
 * `round/start` with empty weights, `weightsHash` and `weightsChunks`, signed with the
 * coordinator key once per phase (one body for the whole cohort, as evidence comparison
 * expects of a broadcast), then the `model/chunk` messages carrying the weights, of at most
 * `chunkBytes` bytes each. The chunks are left out for a site known to hold the model
 * (held-models in @cohortfl/wire, protocol 2.1): the model goes down once per site, not once
 * per phase. The start carries one envelope id for the whole cohort.
 */
import { signEnvelope } from '@cohortfl/protocol';
import { createEnvelope, splitIntoChunks, type Codec, type RoundStart } from '@cohortfl/wire';

interface Prepared {
  key: string;
  hash: string;
  start: Uint8Array;
  chunks: Uint8Array[];
}

export class RoundStartFrames {
  private prepared: Prepared | undefined;

  constructor(
    private readonly secretKey: Uint8Array,
    private readonly chunkBytes: number,
    private readonly codec: Codec,
  ) {}

  /** SHA-256 (hex) of the weights `message` announces, computed once per phase. */
  modelHash(message: RoundStart): string {
    return this.prepare(message).hash;
  }

  /** Encoded frames to send to one cohort member, in order; `held`: the site holds the model, no chunks. */
  for(message: RoundStart, held: boolean): Uint8Array[] {
    const p = this.prepare(message);
    return held ? [p.start] : [p.start, ...p.chunks];
  }

  private prepare(message: RoundStart): Prepared {
    const key = `${message.taskHash}:${message.round}:${message.attempt}:${message.phase}`;
    if (this.prepared?.key === key) return this.prepared;
    const split = splitIntoChunks(message.weights, this.chunkBytes);
    const body: RoundStart = { ...message, weights: new Float32Array(0), weightsHash: split.hash, weightsChunks: split.chunks.length };
    const start = this.codec.encode(signEnvelope(this.secretKey, createEnvelope('round/start', body)));
    const chunks = split.chunks.map((data, index) =>
      this.codec.encode(
        createEnvelope('model/chunk', {
          taskHash: message.taskHash,
          round: message.round,
          attempt: message.attempt,
          index,
          total: split.chunks.length,
          hash: split.hash,
          data,
        }),
      ),
    );
    this.prepared = { key, hash: split.hash, start, chunks };
    return this.prepared;
  }
}

/**
 * The frames that announce one phase to one site, encoded once per phase and shared by the
 * cohort (the same bytes go to every site, so a model is packed once, not once per site):
 * - `round/start` with the weights inline, or, when their bytes exceed `chunkBytes`, with
 *   empty weights plus `weightsHash`/`weightsChunks`, followed by `model/chunk` messages;
 * - for a site known to hold the model (held-models in @cohortfl/wire, protocol 2.1),
 *   `round/start` with empty weights and `weightsHash` alone: the model by reference.
 * Each variant is signed with the coordinator key once per phase (the signature covers the
 * body, which names no site), and carries one envelope id for the whole cohort.
 */
import { signEnvelope } from '@cohortfl/protocol';
import { createEnvelope, hashWeights, splitIntoChunks, type Codec, type RoundStart } from '@cohortfl/wire';

interface Prepared {
  key: string;
  message: RoundStart;
  hash: string;
  full: Uint8Array[] | undefined;
  reference: Uint8Array | undefined;
}

export class RoundStartFrames {
  private prepared: Prepared | undefined;

  constructor(
    private readonly secretKey: Uint8Array,
    private readonly chunkBytes: number,
    private readonly codec: Codec,
  ) {}

  /** SHA-256 (hex) of the weights `message` carries, computed once per phase. */
  modelHash(message: RoundStart): string {
    return this.prepare(message).hash;
  }

  /** Encoded frames to send to one cohort member, in order; `byReference`: the site holds the model. */
  for(message: RoundStart, byReference: boolean): Uint8Array[] {
    const p = this.prepare(message);
    if (byReference) {
      p.reference ??= this.encodeStart({ ...p.message, weights: new Float32Array(0), weightsHash: p.hash });
      return [p.reference];
    }
    p.full ??= this.encodeFull(p);
    return p.full;
  }

  private prepare(message: RoundStart): Prepared {
    const key = `${message.taskHash}:${message.round}:${message.attempt}:${message.phase}`;
    if (this.prepared?.key !== key) this.prepared = { key, message, hash: hashWeights(message.weights), full: undefined, reference: undefined };
    return this.prepared;
  }

  private encodeFull(p: Prepared): Uint8Array[] {
    const message = p.message;
    if (message.weights.byteLength <= this.chunkBytes) return [this.encodeStart(message)];
    const split = splitIntoChunks(message.weights, this.chunkBytes);
    const start = this.encodeStart({ ...message, weights: new Float32Array(0), weightsHash: split.hash, weightsChunks: split.chunks.length });
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
    return [start, ...chunks];
  }

  private encodeStart(body: RoundStart): Uint8Array {
    return this.codec.encode(signEnvelope(this.secretKey, createEnvelope('round/start', body)));
  }
}

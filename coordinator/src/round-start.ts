/**
 * The envelopes that announce one phase to one site: `round/start` signed with the
 * coordinator key, and, when the weights' bytes exceed `chunkBytes`, the start with
 * empty weights plus `weightsHash`/`weightsChunks` followed by `model/chunk` messages.
 * The signature and chunks are computed once per phase and shared by the cohort;
 * every envelope still gets its own fresh id.
 */
import { signEnvelope } from '@cohortfl/protocol';
import { createEnvelope, splitIntoChunks, type Envelope, type RoundStart } from '@cohortfl/wire';

interface Prepared {
  key: string;
  body: RoundStart;
  sig: Uint8Array;
  chunks: Uint8Array[];
  hash: string | undefined;
}

export class RoundStartEnvelopes {
  private prepared: Prepared | undefined;

  constructor(
    private readonly secretKey: Uint8Array,
    private readonly chunkBytes: number,
  ) {}

  /** Everything to send to one cohort member for `message`, in order. */
  for(message: RoundStart): Envelope[] {
    const p = this.prepare(message);
    const start: Envelope = { ...createEnvelope('round/start', p.body), sig: p.sig };
    const chunks: Envelope[] = p.chunks.map((data, index) =>
      createEnvelope('model/chunk', {
        taskHash: p.body.taskHash,
        round: p.body.round,
        attempt: p.body.attempt,
        index,
        total: p.chunks.length,
        hash: p.hash!,
        data,
      }),
    );
    return [start, ...chunks];
  }

  private prepare(message: RoundStart): Prepared {
    const key = `${message.taskHash}:${message.round}:${message.attempt}:${message.phase}`;
    if (this.prepared?.key === key) return this.prepared;
    let body = message;
    let chunks: Uint8Array[] = [];
    let hash: string | undefined;
    if (message.weights.byteLength > this.chunkBytes) {
      const split = splitIntoChunks(message.weights, this.chunkBytes);
      chunks = split.chunks;
      hash = split.hash;
      body = { ...message, weights: new Float32Array(0), weightsHash: split.hash, weightsChunks: split.chunks.length };
    }
    const sig = signEnvelope(this.secretKey, createEnvelope('round/start', body)).sig!;
    this.prepared = { key, body, sig, chunks, hash };
    return this.prepared;
  }
}

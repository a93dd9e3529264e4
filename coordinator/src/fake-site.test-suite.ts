/**
 * A scripted site for the coordinator's tests: socket.io-client + the wire codec +
 * identity, speaking the real protocol, with hooks to misbehave (forged signatures,
 * NaN updates, replays, wrong versions).
 */
import { io, type Socket } from 'socket.io-client';
import { createChallenge, decodePublicKey, encodePublicKey, generateIdentity, NO_CHANNEL_BINDING, signChallenge, signPayload, statusContext, verifyCoordinatorProof, type Identity } from '@cohortfl/identity';
import { signEnvelope, verifyEnvelope } from '@cohortfl/protocol';
import {
  ChunkAssembler,
  createCodec,
  createEnvelope,
  encodeBody,
  hashWeights,
  HeldModels,
  msgpackrParser,
  parseEnvelope,
  PROTOCOL_VERSION,
  roundStartKey,
  type Envelope,
  type EvalResult,
  type RoundStart,
  type SiteStatus,
  type UpdateSubmit,
} from '@cohortfl/wire';

const codec = createCodec();

export type Answer = 'answer' | 'silent';

export interface Behavior {
  /** The update for a train round/start (default: every weight + `delta`). */
  update?: (start: RoundStart, weights: Float32Array) => Float32Array;
  /** Per-weight delta of the default update. */
  delta?: number;
  /** Called for each assembled round/start; may send extra frames; 'silent' = do not answer. */
  before?: (start: RoundStart, site: FakeSite) => Answer | void;
  /** Called after the answer was sent. */
  after?: (start: RoundStart, sent: Envelope, site: FakeSite) => void;
  numExamples?: number;
}

export class FakeSite {
  readonly socket: Socket;
  readonly identity: Identity;
  readonly inbox: Envelope[] = [];
  /** Every frame received after decoding: its type and its size in bytes. */
  readonly frames: { type: Envelope['type']; bytes: number }[] = [];
  /** Models held for round/starts by reference (protocol 2.1), by the same rule as a real site. */
  readonly models = new HeldModels<Float32Array>();
  /** model/chunk messages received for a model this site already held (the coordinator should not send them). */
  unneeded = 0;
  /** Envelopes this site sent in answer to round/start, in order. */
  readonly answers: Envelope[] = [];
  /** round/start messages whose coordinator signature verified / did not. */
  readonly starts: RoundStart[] = [];
  badStarts = 0;
  disconnected = false;
  private readonly consumed = new Set<Envelope>();
  private readonly listeners = new Set<() => void>();
  private assembler: { start: RoundStart; chunks: ChunkAssembler } | undefined;

  constructor(
    readonly url: string,
    readonly name: string,
    identity?: Identity,
  ) {
    this.identity = identity ?? generateIdentity();
    this.socket = io(url, { parser: msgpackrParser, transports: ['websocket'], reconnection: false, forceNew: true });
    this.socket.on('msg', (bytes: Uint8Array) => {
      const envelope = codec.decode(bytes);
      this.frames.push({ type: envelope.type, bytes: bytes.byteLength });
      this.inbox.push(envelope);
      this.notify();
    });
    this.socket.on('disconnect', () => {
      this.disconnected = true;
      this.notify();
    });
  }

  get publicKeyText(): string {
    return encodePublicKey(this.identity.publicKey);
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Resolves when `check` returns a value (re-checked on every message and on disconnect). */
  until<T>(check: () => T | undefined, what: string, timeoutMs = 8000): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const value = check();
        if (value === undefined) return;
        this.listeners.delete(attempt);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(attempt);
        reject(new Error(`${this.name}: timed out waiting for ${what}`));
      }, timeoutMs);
      this.listeners.add(attempt);
      attempt();
    });
  }

  /** The first message not yet taken that matches. */
  next(match: (env: Envelope) => boolean, what: string, timeoutMs?: number): Promise<Envelope> {
    return this.until(() => {
      const found = this.inbox.find((env) => !this.consumed.has(env) && match(env));
      if (found) this.consumed.add(found);
      return found;
    }, what, timeoutMs);
  }

  nextOfType<T extends Envelope['type']>(type: T, timeoutMs?: number): Promise<Extract<Envelope, { type: T }>> {
    return this.next((e) => e.type === type, type, timeoutMs) as Promise<Extract<Envelope, { type: T }>>;
  }

  waitDisconnect(timeoutMs?: number): Promise<true> {
    return this.until(() => (this.disconnected ? true : undefined), 'disconnect', timeoutMs);
  }

  send(envelope: Envelope): void {
    this.socket.emit('msg', codec.encode(envelope));
  }

  /** Bytes as they are, without the codec's checks (for frames our own codec would refuse). */
  sendBytes(bytes: Uint8Array): void {
    this.socket.emit('msg', bytes);
  }

  sendUnchecked(envelope: unknown): void {
    this.sendBytes(encodeBody(envelope));
  }

  /** hello → challenge → auth; resolves with the welcome or the error that ended it. */
  async handshake(options: { protocolVersion?: string; signWith?: Identity } = {}): Promise<Envelope> {
    const siteNonce = createChallenge();
    const hello = { site: this.name, protocolVersion: options.protocolVersion ?? PROTOCOL_VERSION, publicKey: this.publicKeyText, nonce: siteNonce };
    this.sendUnchecked(createEnvelope('hello', hello));
    const first = await this.next((e) => e.type === 'challenge' || e.type === 'error', 'challenge');
    if (first.type !== 'challenge') return first;
    const { challenge, coordinatorPublicKey, proof } = first.body;
    const pinned = decodePublicKey(coordinatorPublicKey);
    this.proofVerified = verifyCoordinatorProof(pinned, { site: this.name, siteNonce, challenge, channelBinding: NO_CHANNEL_BINDING }, proof);
    this.challenge = challenge;
    this.statusSeq = 0;
    const signer = options.signWith ?? this.identity;
    const signature = signChallenge(signer.secretKey, { challenge, site: this.name, coordinatorPublicKey: pinned, siteNonce, proof, channelBinding: NO_CHANNEL_BINDING });
    this.send(createEnvelope('auth', { site: this.name, signature }));
    return this.next((e) => e.type === 'welcome' || e.type === 'error', 'welcome');
  }

  /** Handshake, then `status {ready: true}`, then answer every round with `behavior`. */
  async join(coordinatorKey: Uint8Array, behavior: Behavior = {}, options: { protocolVersion?: string } = {}): Promise<void> {
    const welcome = await this.handshake(options);
    if (welcome.type !== 'welcome') throw new Error(`${this.name}: handshake refused: ${JSON.stringify(welcome.body)}`);
    this.answerRounds(coordinatorKey, behavior);
    this.status({ ready: true });
  }

  /** Whether the coordinator's proof in the last challenge verified with the key it presented. */
  proofVerified = false;
  private challenge: Uint8Array | undefined;
  private statusSeq = 0;

  /** A status signed for this session (challenge, growing seq), as a real site sends it; `signer` to forge. */
  status(body: Omit<SiteStatus, 'seq'>, options: { seq?: number; signer?: Identity } = {}): void {
    const seq = options.seq ?? ++this.statusSeq;
    const envelope = parseEnvelope(createEnvelope('status', { ...body, seq } as SiteStatus));
    const sig = signPayload((options.signer ?? this.identity).secretKey, statusContext(this.name, this.challenge!, seq), encodeBody(envelope.body));
    this.send({ ...envelope, sig });
  }

  answerRounds(coordinatorKey: Uint8Array, behavior: Behavior): void {
    this.socket.on('msg', () => {
      const env = this.inbox.at(-1)!;
      if (env.type === 'round/start') {
        if (!verifyEnvelope(coordinatorKey, env)) {
          this.badStarts += 1;
          return;
        }
        const held = env.body.weightsHash === undefined ? undefined : this.models.get(env.body.weightsHash);
        if (held) {
          this.assembler = undefined;
          this.onStart(env.body, held, behavior, env.body.weightsHash);
        } else if (env.body.weightsChunks === undefined) this.onStart(env.body, env.body.weights, behavior);
        else {
          const expect = { taskHash: env.body.taskHash, round: env.body.round, attempt: env.body.attempt, hash: env.body.weightsHash!, total: env.body.weightsChunks };
          this.assembler = { start: env.body, chunks: new ChunkAssembler({ expect }) };
        }
      } else if (env.type === 'model/chunk' && !this.assembler) {
        this.unneeded += 1;
      } else if (env.type === 'model/chunk' && this.assembler) {
        const weights = this.assembler.chunks.accept(env.body);
        if (weights) {
          const start = this.assembler.start;
          this.assembler = undefined;
          this.onStart(start, weights, behavior, start.weightsHash);
        }
      }
    });
  }

  private onStart(start: RoundStart, weights: Float32Array, behavior: Behavior, hash?: string): void {
    this.starts.push({ ...start, weights });
    this.models.offer(roundStartKey(start), hash ?? hashWeights(weights), weights);
    // Answers are signed for the run the round/start names, as a real site signs them.
    const run = start.config['runId'];
    this.run = typeof run === 'number' || typeof run === 'string' ? run : undefined;
    if (behavior.before?.(start, this) === 'silent') return;
    const envelope = start.phase === 'train' ? this.updateFor(start, weights, behavior) : this.evalFor(start, behavior);
    this.send(envelope);
    this.models.answered(roundStartKey(start));
    this.answers.push(envelope);
    behavior.after?.(start, envelope, this);
  }

  /** The run of the last round/start received: the run this site's answers are signed for. */
  run: number | string | undefined;

  sign<E extends Envelope>(envelope: E, signer: Identity = this.identity, run: number | string | undefined = this.run): E {
    return signEnvelope(signer.secretKey, envelope, run);
  }

  updateBody(start: RoundStart, update: Float32Array, numExamples = 10): UpdateSubmit {
    const { taskHash, round, attempt } = start;
    return { type: 'update/submit', taskHash, round, attempt, site: this.name, update, numExamples, metrics: { loss: 0.5 } };
  }

  updateFor(start: RoundStart, weights: Float32Array, behavior: Behavior = {}): Envelope {
    const update = behavior.update?.(start, weights) ?? new Float32Array(weights.length).fill(behavior.delta ?? 0.01);
    return this.sign(createEnvelope('update/submit', this.updateBody(start, update, behavior.numExamples)));
  }

  evalFor(start: RoundStart, behavior: Behavior = {}): Envelope {
    const { taskHash, round, attempt } = start;
    const body: EvalResult = { type: 'eval/result', taskHash, round, attempt, site: this.name, numExamples: behavior.numExamples ?? 10, metrics: { auc: 0.75, loss: 0.4 } };
    return this.sign(createEnvelope('eval/result', body));
  }

  close(): void {
    this.socket.disconnect();
  }
}

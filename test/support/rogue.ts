/**
 * A hand-driven site for adversarial tests: speaks the real protocol over
 * socket.io (msgpackr parser, wire codec, Ed25519 handshake) but lets the test
 * send anything: forged signatures, replays, NaN, oversized or malformed frames.
 */
import { io, type Socket } from 'socket.io-client';
import { createChallenge, NO_CHANNEL_BINDING, signChallenge, signPayload, statusContext, type Identity } from '@cohortfl/identity';
import { SiteRunner, signEnvelope, type Membership, type SiteWork } from '@cohortfl/protocol';
import { ChunkAssembler, createCodec, createEnvelope, encodeBody, msgpackrParser, parseEnvelope, type CoordinatorMessage, type Envelope, type RoundStart, type SiteMessage } from '@cohortfl/wire';
import { encodePublicKey } from '@cohortfl/identity';

export interface RogueOptions {
  url: string;
  site: string;
  identity: Identity;
  /**
   * Protocol version announced in hello (and in the envelope). Default 2.0: the coordinator
   * then sends every model's chunks, which this site assembles (it keeps no models).
   */
  version?: string;
}

export class RogueSite {
  /** This connection's handshake nonce and the coordinator's challenge (statuses are bound to it). */
  private readonly nonce = createChallenge();
  private challenge: Uint8Array | undefined;
  private statusSeq = 0;

  /** A status signed for this session, as a real site sends it. */
  status(body: { ready: boolean; epsilonSpent?: number }): void {
    const seq = ++this.statusSeq;
    const envelope = parseEnvelope(createEnvelope('status', { ...body, seq }));
    const sig = signPayload(this.options.identity.secretKey, statusContext(this.options.site, this.challenge!, seq), encodeBody(envelope.body));
    this.send({ ...envelope, sig });
  }

  readonly received: Envelope[] = [];
  readonly errors: { code: string; message: string }[] = [];
  private readonly codec = createCodec();
  private socket: Socket | undefined;
  private listeners: ((e: Envelope) => void)[] = [];

  constructor(private readonly options: RogueOptions) {}

  /** Connect and run the handshake; resolves 'welcome' or the refusal error. */
  connect(): Promise<{ welcomed: true } | { welcomed: false; code: string; message: string }> {
    const socket = io(this.options.url, { parser: msgpackrParser as never, transports: ['websocket'], reconnection: false, forceNew: true });
    this.socket = socket;
    socket.on('msg', (bytes: Uint8Array) => {
      let env: Envelope;
      try {
        env = this.codec.decode(new Uint8Array(bytes));
      } catch {
        return;
      }
      this.received.push(env);
      if (env.type === 'error') this.errors.push(env.body as { code: string; message: string });
      if (env.type === 'round/start' && env.body.weightsChunks !== undefined && env.body.weightsHash !== undefined) {
        const b = env.body;
        this.assembling = { start: b, assembler: new ChunkAssembler({ expect: { taskHash: b.taskHash, round: b.round, attempt: b.attempt, hash: b.weightsHash!, total: b.weightsChunks! } }) };
      } else if (env.type === 'model/chunk' && this.assembling) {
        const weights = this.assembling.assembler.accept(env.body);
        if (weights) {
          const start = this.assembling.start;
          this.assembled.set(start, weights);
          this.assembling = undefined;
          for (const l of [...this.startListeners]) l({ ...start, weights });
        }
      } else if (env.type === 'round/start') {
        for (const l of [...this.startListeners]) l(env.body);
      }
      for (const l of [...this.listeners]) l(env);
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('handshake timed out')), 15_000);
      socket.on('connect_error', (e) => reject(e));
      socket.on('connect', () => {
        const version = this.options.version ?? '2.0';
        const hello = createEnvelope('hello', { site: this.options.site, protocolVersion: version, publicKey: encodePublicKey(this.options.identity.publicKey), nonce: this.nonce });
        this.sendUnchecked({ ...hello, v: version });
      });
      this.listeners.push((env) => {
        if (env.type === 'challenge') {
          const b = env.body;
          this.challenge = b.challenge;
          const signature = signChallenge(this.options.identity.secretKey, {
            challenge: b.challenge,
            site: this.options.site,
            coordinatorPublicKey: decodeKey(b.coordinatorPublicKey),
            siteNonce: this.nonce,
            proof: b.proof,
            channelBinding: NO_CHANNEL_BINDING,
          });
          this.send(createEnvelope('auth', { site: this.options.site, signature }));
        } else if (env.type === 'welcome') {
          clearTimeout(timer);
          this.status({ ready: true });
          resolve({ welcomed: true });
        } else if (env.type === 'error') {
          clearTimeout(timer);
          resolve({ welcomed: false, code: env.body.code, message: env.body.message });
        }
      });
    });
  }

  private assembling: { start: RoundStart; assembler: ChunkAssembler } | undefined;
  /** Weights of chunked round/starts, once all their chunks are in. */
  private readonly assembled = new Map<RoundStart, Float32Array>();

  /** The next round/start of the given phase (already received or to come), with its weights (chunks assembled). */
  nextRoundStart(phase: 'train' | 'evaluate', after = 0, timeoutMs = 30_000): Promise<RoundStart> {
    const ready = (): RoundStart | undefined => {
      const found = this.received.find((e) => e.type === 'round/start' && e.body.phase === phase && e.body.round > after);
      if (!found) return undefined;
      const start = found.body as RoundStart;
      if (start.weightsChunks === undefined) return start;
      const weights = this.assembled.get(start);
      return weights && { ...start, weights };
    };
    const now = ready();
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${phase} round/start after round ${after}`)), timeoutMs);
      const l = () => {
        const start = ready();
        if (start) {
          clearTimeout(timer);
          this.listeners.splice(this.listeners.indexOf(l), 1);
          resolve(start);
        }
      };
      this.listeners.push(l);
    });
  }

  /** An update for a round/start, signed by `signer` (default: this site's own key). */
  update(start: RoundStart, values: Float32Array, signer: Uint8Array = this.options.identity.secretKey): Envelope {
    const env = createEnvelope('update/submit', { type: 'update/submit', taskHash: start.taskHash, round: start.round, attempt: start.attempt, site: this.options.site, update: values, numExamples: 50, metrics: { loss: 0.5 } });
    return signEnvelope(signer, env, runOfStart(start));
  }

  evalResult(start: RoundStart): Envelope {
    const env = createEnvelope('eval/result', { type: 'eval/result', taskHash: start.taskHash, round: start.round, attempt: start.attempt, site: this.options.site, numExamples: 50, metrics: { auc: 0.5, loss: 0.69, accuracy: 0.5 } });
    return signEnvelope(this.options.identity.secretKey, env, runOfStart(start));
  }

  private readonly startListeners: ((start: RoundStart) => void)[] = [];

  /** Call `fn` for every round/start received from now on, once its weights are in (chunks assembled). */
  onRoundStart(fn: (start: RoundStart) => void): void {
    this.startListeners.push(fn);
  }

  /** Call `fn` for every message received from now on. */
  onMessage(fn: (e: Envelope) => void): void {
    this.listeners.push(fn);
  }

  send(env: Envelope): void {
    this.sendRaw(this.codec.encode(env));
  }

  /** An envelope packed without the codec's validation (NaN, wrong versions, …). */
  sendUnchecked(env: unknown): void {
    this.sendRaw(encodeBody(env));
  }

  /** Bytes as the 'msg' payload, exactly as given (malformed or oversized frames). */
  sendRaw(bytes: Uint8Array): void {
    this.socket!.emit('msg', bytes);
  }

  /** Wait until the coordinator has answered with `count` error messages in all. */
  async waitForErrors(count: number, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.errors.length < count) {
      if (Date.now() > end) throw new Error(`expected ${count} error replies, got ${this.errors.length}: ${JSON.stringify(this.errors)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  close(): void {
    this.socket?.close();
  }
}

/** The run a round/start names (its answers are signed for it). */
function runOfStart(start: RoundStart): number | string | undefined {
  const run = start.config['runId'];
  return typeof run === 'number' || typeof run === 'string' ? run : undefined;
}

function decodeKey(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/^ed25519:/, ''), 'base64url'));
}

/**
 * An honest site in the test process (the real SiteRunner with a fixed update) that
 * disconnects, as if killed, when the coordinator asks it for a given secure step.
 */
export class ScriptedSite {
  readonly rogue: RogueSite;
  private readonly runner: SiteRunner;

  constructor(
    options: RogueOptions & {
      taskHash: string;
      membership: Membership;
      dieAt?: 'keys' | 'shares' | 'masked' | 'attest' | 'reveal';
      parameterDelta?: number;
      /** What to send for each honest reply, in order, each signed (default: the reply itself). */
      replies?: (reply: SiteMessage) => SiteMessage[];
    },
  ) {
    this.rogue = new RogueSite(options);
    const work: SiteWork = {
      load: async () => undefined,
      train: async (start) => ({ update: new Float32Array(start.weights.length).fill(options.parameterDelta ?? 0.01), numExamples: 100, metrics: { loss: 0.5 } }),
      evaluate: async () => ({ numExamples: 50, metrics: { auc: 0.5, loss: 0.69, accuracy: 0.5 } }),
    };
    this.runner = new SiteRunner({
      site: options.site,
      policy: { acceptTasks: true, approvedTaskHashes: [options.taskHash], minCohortSize: 2 },
      work,
      identitySecretKey: options.identity.secretKey,
      membership: options.membership,
    });
    let run: number | string | undefined;
    const stepOf: Record<string, string> = { 'secagg/roster': 'shares', 'secagg/relay': 'masked', 'secagg/survivors': 'attest', 'secagg/unmask': 'reveal' };
    const handle = async (body: CoordinatorMessage) => {
      const step = body.type === 'round/start' ? (body.phase === 'train' ? 'keys' : 'evaluate') : stepOf[body.type];
      if (step === options.dieAt) {
        this.rogue.close();
        return;
      }
      if (body.type === 'round/start') run = runOfStart(body);
      const reply = await this.runner.handle(body);
      for (const message of options.replies?.(reply) ?? [reply]) {
        if (this.rogue.connected) this.rogue.send(signEnvelope(options.identity.secretKey, parseEnvelope(createEnvelope(message.type, message as never)), run));
      }
    };
    // A round/start once its model is in (the chunks assembled); the secure steps as they come.
    this.rogue.onRoundStart((start) => void handle(start));
    this.rogue.onMessage((env) => {
      if (env.type.startsWith('secagg/')) void handle(env.body as CoordinatorMessage);
    });
  }
}

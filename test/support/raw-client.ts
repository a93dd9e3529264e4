/**
 * A socket.io client for attacks below the application: it speaks the real
 * transport (engine.io over a websocket, the msgpackr socket.io parser) and the
 * real handshake, but can put any bytes in a frame (`sendBytes`) or any decoded
 * shape in a socket.io packet (`sendPacket`), bypassing socket.io's own checks.
 */
import { Manager, type Socket } from 'socket.io-client';
import { createChallenge, encodePublicKey, decodePublicKey, NO_CHANNEL_BINDING, signChallenge, signPayload, statusContext, type Identity } from '@cohortfl/identity';
import { createCodec, createEnvelope, encodeBody, msgpackrParser, MsgpackrEncoder, parseEnvelope, PROTOCOL_VERSION, type Envelope } from '@cohortfl/wire';

const encoder = new MsgpackrEncoder();
const codec = createCodec();

export interface Closed {
  reason: string;
  /** The websocket close code, when the server closed the websocket (1009: frame too big). */
  code?: number;
}

export class RawClient {
  readonly received: Envelope[] = [];
  /** Socket.io packets of any kind the namespace socket saw (connect_error messages). */
  readonly connectErrors: string[] = [];
  readonly closed: Promise<Closed>;
  private closedValue: Closed | undefined;
  private readonly waiters: (() => void)[] = [];

  private constructor(
    readonly manager: Manager,
    readonly socket: Socket,
  ) {
    this.closed = new Promise((resolve) => {
      manager.engine.on('close', (reason: string, description: unknown) => {
        const context = (description as { context?: { code?: unknown } } | undefined)?.context;
        const code = typeof context?.code === 'number' ? context.code : undefined;
        this.closedValue = { reason, ...(code === undefined ? {} : { code }) };
        resolve(this.closedValue);
        this.wake();
      });
    });
    socket.on('msg', (bytes: Uint8Array) => {
      try {
        this.received.push(codec.decode(new Uint8Array(bytes)));
      } catch {
        return;
      }
      this.wake();
    });
    socket.on('connect_error', (error: Error) => {
      this.connectErrors.push(error.message);
      this.wake();
    });
  }

  /** Opens the transport and the namespace `nsp` (with `auth` as its CONNECT data); rejects on a refused connection. */
  static async open(url: string, nsp = '/', auth?: Record<string, unknown>): Promise<RawClient> {
    const manager = new Manager(url, { parser: msgpackrParser as never, transports: ['websocket'], reconnection: false, forceNew: true, autoConnect: false });
    const socket = manager.socket(nsp, auth ? { auth } : {});
    await new Promise<void>((resolve, reject) => {
      manager.open((error) => (error ? reject(error) : resolve()));
    });
    const client = new RawClient(manager, socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (e: Error) => reject(e));
      socket.connect();
    });
    return client;
  }

  get isClosed(): boolean {
    return this.closedValue !== undefined;
  }

  sendBytes(bytes: Uint8Array): void {
    this.manager.engine.send(bytes as never);
  }

  /** Any object as one socket.io packet, framed by the msgpackr parser without its checks. */
  sendPacket(packet: { type: number; nsp: string; data?: unknown; id?: number }): void {
    this.sendBytes(encoder.encode(packet as never)[0]!);
  }

  send(envelope: Envelope): void {
    this.socket.emit('msg', codec.encode(envelope));
  }

  /** Resolves when `test` holds (checked on every frame and on close), or rejects after `timeoutMs`. */
  until(test: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`raw client: no ${what} within ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        if (test()) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  /** hello → challenge → auth → welcome as `site`. */
  async handshake(site: string, identity: Identity): Promise<void> {
    const nonce = createChallenge();
    this.send(createEnvelope('hello', { site, protocolVersion: PROTOCOL_VERSION, publicKey: encodePublicKey(identity.publicKey), nonce }));
    await this.until(() => this.received.some((e) => e.type === 'challenge' || e.type === 'error') || this.isClosed, 'challenge');
    const challenge = this.received.find((e) => e.type === 'challenge');
    if (!challenge || challenge.type !== 'challenge') throw new Error('raw client: no challenge');
    const { proof } = challenge.body;
    const signature = signChallenge(identity.secretKey, {
      challenge: challenge.body.challenge,
      site,
      coordinatorPublicKey: decodePublicKey(challenge.body.coordinatorPublicKey),
      siteNonce: nonce,
      proof,
      channelBinding: NO_CHANNEL_BINDING,
    });
    this.send(createEnvelope('auth', { site, signature }));
    await this.until(() => this.received.some((e) => e.type === 'welcome' || e.type === 'error') || this.isClosed, 'welcome');
    if (!this.received.some((e) => e.type === 'welcome')) throw new Error('raw client: not welcomed');
    // A status signed for this session (the coordinator refuses any other).
    const status = parseEnvelope(createEnvelope('status', { ready: true, seq: 1 }));
    this.send({ ...status, sig: signPayload(identity.secretKey, statusContext(site, challenge.body.challenge, 1), encodeBody(status.body)) });
  }

  close(): void {
    this.manager.engine?.close();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

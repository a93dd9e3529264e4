/**
 * Test support (excluded from the build): a minimal coordinator on socket.io's
 * Server and the wire codec, on 127.0.0.1. It runs the real handshake (hello,
 * challenge, auth, welcome), records everything a site sends, and lets a test
 * send anything: signed or forged round/starts, chunks, raw bytes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { createChallenge, decodePublicKey, encodePublicKey, NO_CHANNEL_BINDING, signCoordinatorProof, verifyChallenge, type Identity } from '@cohortfl/identity';
import { signEnvelope } from '@cohortfl/protocol';
import { createCodec, createEnvelope, msgpackrParser, parseEnvelope, type Envelope, type RoundStart } from '@cohortfl/wire';

export interface FakeCoordinatorOptions {
  identity: Identity;
  /** Enrolled sites: name → public key text. */
  sites: Record<string, string>;
  port?: number;
  /** Key text sent in the challenge (default: this coordinator's own). */
  presentKey?: string;
  /** Secret key the challenge's proof is signed with (default: this coordinator's own): a relay's, in tests. */
  proofKey?: Uint8Array;
}

export type FakeEvent =
  | { kind: 'connection'; id: string }
  | { kind: 'message'; id: string; envelope: Envelope }
  | { kind: 'authenticated'; id: string; site: string }
  | { kind: 'auth-failed'; id: string; site: string }
  | { kind: 'disconnect'; id: string; reason: string };

export class FakeCoordinator {
  readonly events: FakeEvent[] = [];
  private readonly codec = createCodec();
  private readonly bySite = new Map<string, Socket>();
  private readonly waiters: { test: (e: FakeEvent) => boolean; resolve: (e: FakeEvent) => void }[] = [];

  private constructor(
    private readonly io: Server,
    readonly port: number,
    private readonly options: FakeCoordinatorOptions,
  ) {}

  static async start(options: FakeCoordinatorOptions): Promise<FakeCoordinator> {
    const http = createServer();
    const io = new Server(http, { parser: msgpackrParser, serveClient: false, transports: ['websocket'], maxHttpBufferSize: 64 * 1024 * 1024 + 65536 });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const fake = new FakeCoordinator(io, (http.address() as AddressInfo).port, options);
    io.on('connection', (socket) => fake.accept(socket));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get publicKey(): string {
    return encodePublicKey(this.options.identity.publicKey);
  }

  /** Messages received so far (after or during the handshake), optionally of one type. */
  messages(type?: Envelope['type']): Envelope[] {
    return this.events.flatMap((e) => (e.kind === 'message' && (type === undefined || e.envelope.type === type) ? [e.envelope] : []));
  }

  /** The first event (already seen or to come) that passes `test`. */
  waitFor(test: (e: FakeEvent) => boolean, what: string, timeoutMs = 20_000): Promise<FakeEvent> {
    const seen = this.events.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fake coordinator: no ${what} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ test, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }

  /** The first site message (counting from `from`) that passes `test`. */
  async nextMessage(test: (e: Envelope) => boolean, what: string, from = 0): Promise<Envelope> {
    const e = await this.waitFor((ev) => ev.kind === 'message' && this.events.indexOf(ev) >= from && test(ev.envelope), what);
    return (e as Extract<FakeEvent, { kind: 'message' }>).envelope;
  }

  /** Resolves once `site` is authenticated and has sent status ready. */
  async ready(site: string): Promise<void> {
    await this.waitFor((e) => e.kind === 'message' && e.envelope.type === 'status' && this.siteOf(e.id) === site, `status from ${site}`);
  }

  send(site: string, envelope: Envelope): void {
    this.sendRaw(site, this.codec.encode(envelope));
  }

  sendRaw(site: string, bytes: Uint8Array): void {
    const socket = this.bySite.get(site);
    if (!socket) throw new Error(`fake coordinator: ${site} is not connected`);
    socket.emit('msg', bytes);
  }

  /** Bytes as one transport frame, below socket.io: the site's parser gets them as they are. */
  sendFrame(site: string, bytes: Uint8Array): void {
    const socket = this.bySite.get(site);
    if (!socket) throw new Error(`fake coordinator: ${site} is not connected`);
    socket.conn.send(Buffer.from(bytes));
  }

  /** A round/start signed with `signer` (default: this coordinator's key). */
  roundStart(body: Omit<RoundStart, 'type' | 'config'> & { config?: RoundStart['config'] }, signer = this.options.identity.secretKey): Envelope {
    // Signed as the receiver will re-encode it: the parsed body, its keys in schema order.
    return signEnvelope(signer, parseEnvelope(createEnvelope('round/start', { type: 'round/start', config: {}, ...body })));
  }

  /** Disconnects every site from the server side (as a clean shutdown does), then closes. */
  async close(): Promise<void> {
    this.io.disconnectSockets(true);
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
  }

  private siteOf(id: string): string | undefined {
    for (const [site, socket] of this.bySite) if (socket.id === id) return site;
    return undefined;
  }

  private record(event: FakeEvent): void {
    this.events.push(event);
    for (const w of [...this.waiters]) {
      if (w.test(event)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(event);
      }
    }
  }

  private accept(socket: Socket): void {
    this.record({ kind: 'connection', id: socket.id });
    let challenge: Uint8Array | undefined;
    let siteNonce: Uint8Array | undefined;
    let proof: Uint8Array | undefined;
    let claimed: string | undefined;
    socket.on('disconnect', (reason) => this.record({ kind: 'disconnect', id: socket.id, reason }));
    socket.on('msg', (bytes: Uint8Array) => {
      const envelope = this.codec.decode(new Uint8Array(bytes));
      this.record({ kind: 'message', id: socket.id, envelope });
      if (envelope.type === 'hello') {
        claimed = envelope.body.site;
        if (this.options.sites[claimed] !== envelope.body.publicKey) {
          socket.emit('msg', this.codec.encode(createEnvelope('error', { code: 'UNAUTHORIZED', message: 'unknown key' })));
          socket.disconnect(true);
          return;
        }
        challenge = createChallenge();
        siteNonce = envelope.body.nonce;
        const coordinatorPublicKey = this.options.presentKey ?? this.publicKey;
        // The proof over the site's nonce, on a plain-HTTP channel (no TLS exporter to bind).
        proof = signCoordinatorProof(this.options.proofKey ?? this.options.identity.secretKey, { site: claimed, siteNonce, challenge, channelBinding: NO_CHANNEL_BINDING });
        socket.emit('msg', this.codec.encode(createEnvelope('challenge', { challenge, coordinatorPublicKey, binding: 'none', proof })));
      } else if (envelope.type === 'auth' && challenge && claimed) {
        const ok = verifyChallenge(
          decodePublicKey(this.options.sites[claimed]!),
          { challenge, site: claimed, coordinatorPublicKey: decodePublicKey(this.options.presentKey ?? this.publicKey), siteNonce: siteNonce!, proof: proof!, channelBinding: NO_CHANNEL_BINDING },
          envelope.body.signature,
        );
        if (!ok) {
          this.record({ kind: 'auth-failed', id: socket.id, site: claimed });
          socket.disconnect(true);
          return;
        }
        this.bySite.get(claimed)?.disconnect(true);
        this.bySite.set(claimed, socket);
        socket.emit('msg', this.codec.encode(createEnvelope('welcome', { site: claimed, sessionId: `s-${socket.id.replace(/[^A-Za-z0-9_-]/g, '')}` })));
        this.record({ kind: 'authenticated', id: socket.id, site: claimed });
      }
    });
  }
}

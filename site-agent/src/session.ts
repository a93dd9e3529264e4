/**
 * The connection to the coordinator: socket.io-client with the wire codec, the
 * hello → challenge → auth → welcome handshake on every (re)connect, and
 * reconnection. socket.io reconnects by itself after a dropped transport; this
 * class reconnects, with backoff, after what socket.io does not retry: the
 * coordinator closing the session (a clean restart) or this site walking away
 * from a handshake it refused (a coordinator presenting an unpinned key).
 */
import type { Logger } from 'pino';
import { io, type Socket } from 'socket.io-client';
import { TLSSocket } from 'node:tls';
import {
  CHANNEL_BINDING_BYTES,
  CHANNEL_BINDING_LABEL,
  createChallenge,
  decodePublicKey,
  encodePublicKey,
  NO_CHANNEL_BINDING,
  signChallenge,
  signPayload,
  statusContext,
  verifyCoordinatorProof,
  type Identity,
} from '@cohortfl/identity';
import {
  createEnvelope,
  createMsgpackrParser,
  encodeBody,
  parseEnvelope,
  PROTOCOL_VERSION,
  type Codec,
  type Envelope,
  type SiteStatus,
} from '@cohortfl/wire';
import { Backoff, RECONNECT } from './backoff.js';

export interface SessionOptions {
  url: string;
  site: string;
  identity: Identity;
  /** The coordinator key pinned in the site config (`ed25519:…`). */
  coordinatorKey: string;
  /** PEM CA bundle for TLS. */
  ca?: string;
  codec: Codec;
  logger: Logger;
  /** Give up on a handshake that has not reached welcome after this long. Default 15 s. */
  handshakeTimeoutMs?: number;
  onAuthenticated(info: { sessionId: string; connection: number }): void;
  onClosed(reason: string): void;
  /** A decoded message received after welcome, with its body's bytes as received (what a signature covers). */
  onMessage(envelope: Envelope, connection: number, body: Uint8Array): void;
  /** A frame that failed to decode after welcome (the caller counts and answers it). */
  onUndecodable(error: unknown, connection: number): void;
  /** A handshake this site refused (counted by reason); the session closes and retries with backoff. */
  onHandshakeRefused(reason: string, message: string): void;
  /**
   * Refused below the envelope (counted by reason): `invalid_packet` (the parser refused a
   * frame; socket.io-client closes and reconnects), `handler_error` (a handler threw; the
   * connection is closed and retried), `unknown_event` (an event other than 'msg'; ignored).
   */
  onTransportRefusal?(reason: 'invalid_packet' | 'handler_error' | 'unknown_event', message: string): void;
  /** The status sent right after welcome (default `{ ready: true }`): readiness, ε, the policy summary. */
  status?(): StatusBody;
  /**
   * 'required' (the default over https): the coordinator must bind the handshake to the TLS
   * connection (exporter), so a relay cannot log in as this site. 'optional': accept a
   * coordinator that terminates no TLS itself (behind a TLS proxy); over plain http there is
   * no channel to bind.
   */
  channelBinding?: 'required' | 'optional';
}

/** A status before signing: the session adds its sequence number. */
export type StatusBody = Omit<SiteStatus, 'seq'>;

type Stage = 'idle' | 'hello' | 'auth' | 'open';

export class Session {
  private readonly socket: Socket;
  private readonly backoff = new Backoff();
  private readonly pinned: Uint8Array;
  private stage: Stage = 'idle';
  private connection = 0;
  private stopped = false;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** This connection's nonce, the coordinator's challenge, and the status counter of the session. */
  private nonce: Uint8Array = new Uint8Array(0);
  private challenge: Uint8Array | undefined;
  private statusSeq = 0;

  constructor(private readonly options: SessionOptions) {
    this.pinned = decodePublicKey(options.coordinatorKey);
    const parser = createMsgpackrParser({
      onRefused: (error) => {
        options.logger.warn({ reason: 'invalid_packet', url: options.url }, `refused: ${error.message}`);
        options.onTransportRefusal?.('invalid_packet', error.message);
      },
    });
    this.socket = io(options.url, {
      parser,
      transports: ['websocket'],
      reconnection: true,
      reconnectionDelay: RECONNECT.delayMs,
      reconnectionDelayMax: RECONNECT.delayMaxMs,
      randomizationFactor: RECONNECT.randomization,
      // Several agents in one process (tests) must not share one multiplexed connection.
      forceNew: true,
      autoConnect: false,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    });
    // socket.io-client calls these from a nextTick: a throw is contained to this connection.
    this.socket.on('connect', this.contain(() => this.onConnect()));
    this.socket.on('disconnect', this.contain((reason: string) => this.onDisconnect(reason)));
    this.socket.on('connect_error', this.contain((error: Error) => {
      options.logger.warn({ url: options.url, err: error.message }, 'cannot reach the coordinator; retrying');
      // A CONNECT_ERROR packet from the server deactivates the socket without a 'disconnect':
      // socket.io will not retry it, so this session ends here and retries with backoff.
      if (!this.socket.active && this.stage !== 'idle') {
        // Still `connected` to socket.io: disconnect() emits 'disconnect', whose handler retries.
        if (this.socket.connected) this.socket.disconnect();
        else this.onDisconnect('connect_error');
      }
    }));
    this.socket.on('msg', this.contain((bytes: unknown) => this.onFrame(bytes)));
    this.socket.onAny(this.contain((event: unknown) => {
      if (event === 'msg') return;
      options.logger.warn({ reason: 'unknown_event', event: String(event).slice(0, 64) }, 'refused: the protocol uses the single event \'msg\'');
      options.onTransportRefusal?.('unknown_event', 'an event other than msg');
    }));
  }

  /** A handler whose throw is logged, counted (`handler_error`) and ends this connection (then retried), not the process. */
  private contain<A extends unknown[]>(handler: (...args: A) => void): (...args: A) => void {
    return (...args) => {
      try {
        handler(...args);
      } catch (error) {
        try {
          this.options.logger.error({ err: error, reason: 'handler_error' }, 'a connection handler failed; closing the connection');
          this.options.onTransportRefusal?.('handler_error', (error as Error)?.message ?? String(error));
          if (this.socket.connected) {
            this.socket.disconnect();
            if (!this.stopped) this.scheduleReconnect();
          }
        } catch {
          // Nothing more to do without risking the process.
        }
      }
    };
  }

  /** True between welcome and the end of that connection. */
  get open(): boolean {
    return this.stage === 'open' && this.socket.connected;
  }

  start(): void {
    this.socket.connect();
  }

  /** Sends on the open session of `connection`; returns the frame size, or undefined when that session is gone. */
  send(envelope: Envelope, connection = this.connection): number | undefined {
    if (!this.open || connection !== this.connection) return undefined;
    const bytes = this.options.codec.encode(envelope);
    this.socket.emit('msg', bytes);
    return bytes.byteLength;
  }

  /**
   * Sends a status on the open session, signed by this site and bound to the session's
   * challenge and a growing sequence number; returns false when there is no open session.
   */
  sendStatus(status: StatusBody): boolean {
    if (!this.open || this.challenge === undefined) return false;
    this.statusSeq += 1;
    const body: SiteStatus = { ...status, seq: this.statusSeq };
    // Signed as parsed (keys in schema order): exactly the bytes the coordinator re-encodes.
    const envelope = parseEnvelope(createEnvelope('status', body));
    const sig = signPayload(this.options.identity.secretKey, statusContext(this.options.site, this.challenge, this.statusSeq), encodeBody(envelope.body));
    return this.send({ ...envelope, sig }) !== undefined;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.reconnectTimer);
    this.socket.disconnect();
  }

  private onConnect(): void {
    this.connection += 1;
    this.stage = 'hello';
    clearTimeout(this.handshakeTimer);
    const ms = this.options.handshakeTimeoutMs ?? 15_000;
    this.handshakeTimer = setTimeout(() => this.refuse('handshake_timeout', `no welcome within ${ms} ms`), ms);
    const { site, identity } = this.options;
    this.nonce = createChallenge();
    this.challenge = undefined;
    this.statusSeq = 0;
    this.emit(createEnvelope('hello', { site, protocolVersion: PROTOCOL_VERSION, publicKey: encodePublicKey(identity.publicKey), nonce: this.nonce }));
  }

  private onDisconnect(reason: string): void {
    const wasOpen = this.stage === 'open';
    this.stage = 'idle';
    clearTimeout(this.handshakeTimer);
    // Never replay frames socket.io buffered while offline: they belong to the old session.
    this.socket.sendBuffer = [];
    if (wasOpen) this.options.onClosed(reason);
    // socket.io retries a lost transport itself (socket.active); everything else is ours to retry.
    if (!this.stopped && !this.socket.active) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer !== undefined) return;
    const delay = this.backoff.next();
    this.options.logger.info({ delayMs: delay, attempt: this.backoff.attempts }, 'reconnecting to the coordinator after backoff');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopped) this.socket.connect();
    }, delay);
  }

  private onFrame(bytes: unknown): void {
    let envelope: Envelope;
    let body: Uint8Array;
    try {
      ({ envelope, body } = this.options.codec.decodeReceived(bytes as Uint8Array));
    } catch (error) {
      if (this.stage === 'open') this.options.onUndecodable(error, this.connection);
      else this.refuse('handshake_invalid', `undecodable frame during the handshake: ${(error as Error).message}`);
      return;
    }
    if (this.stage === 'open') {
      this.options.onMessage(envelope, this.connection, body);
      return;
    }
    this.handshake(envelope);
  }

  private handshake(envelope: Envelope): void {
    const { logger, site, identity } = this.options;
    if (envelope.type === 'error') {
      logger.warn({ reason: 'coordinator_refused', code: envelope.body.code, message: envelope.body.message }, 'the coordinator refused this site');
      this.walkAway();
    } else if (envelope.type === 'challenge' && this.stage === 'hello') {
      if (envelope.body.coordinatorPublicKey !== this.options.coordinatorKey) {
        this.refuse('unpinned_key', 'the coordinator presented a public key other than the one pinned in this site\'s config');
        return;
      }
      const { challenge, proof, binding } = envelope.body;
      const channel = this.channelBinding(binding);
      if (typeof channel === 'string') {
        this.refuse('channel_unbound', channel);
        return;
      }
      // The coordinator proves its pinned key first, over this connection's nonce and channel.
      if (!verifyCoordinatorProof(this.pinned, { site, siteNonce: this.nonce, challenge, channelBinding: channel }, proof)) {
        this.refuse('coordinator_unproven', 'the challenge carries no valid proof of the pinned coordinator key over this connection (a relay, or a coordinator that does not hold its key)');
        return;
      }
      const signature = signChallenge(identity.secretKey, { challenge, site, coordinatorPublicKey: this.pinned, siteNonce: this.nonce, proof, channelBinding: channel });
      this.challenge = challenge;
      this.stage = 'auth';
      this.emit(createEnvelope('auth', { site, signature }));
    } else if (envelope.type === 'welcome' && this.stage === 'auth') {
      if (envelope.body.site !== site) {
        this.refuse('handshake_invalid', `welcome names site '${envelope.body.site}', not this site`);
        return;
      }
      clearTimeout(this.handshakeTimer);
      this.stage = 'open';
      this.backoff.reset();
      this.sendStatus(this.options.status?.() ?? { ready: true });
      this.options.onAuthenticated({ sessionId: envelope.body.sessionId, connection: this.connection });
    } else {
      this.refuse('handshake_invalid', `unexpected ${envelope.type} message during the handshake`);
    }
  }

  /**
   * This connection's channel binding for the coordinator's stated mode, or why the handshake
   * must stop: TLS exporter bytes when the coordinator binds to TLS (and this site is on TLS),
   * zeros when it does not and this site accepts that.
   */
  private channelBinding(mode: 'tls-exporter' | 'none'): Uint8Array | string {
    const tls = this.tlsSocket();
    if (mode === 'tls-exporter') {
      if (!tls) return 'the coordinator binds the handshake to TLS but this connection has no TLS of its own: something in between terminates it';
      return new Uint8Array(tls.exportKeyingMaterial(CHANNEL_BINDING_BYTES, CHANNEL_BINDING_LABEL, Buffer.alloc(0)));
    }
    const required = this.options.channelBinding ?? (this.options.url.startsWith('https:') ? 'required' : 'optional');
    if (required === 'required') {
      return 'the coordinator does not bind the handshake to the TLS connection; set coordinator.channelBinding to "optional" only if it sits behind a TLS-terminating proxy you trust';
    }
    return NO_CHANNEL_BINDING;
  }

  /** The TLS socket under this connection's websocket, when there is one. */
  private tlsSocket(): TLSSocket | undefined {
    // engine.io-client's websocket transport keeps the `ws` WebSocket as `ws`, which keeps its socket as `_socket`.
    const transport = (this.socket.io as unknown as { engine?: { transport?: { ws?: { _socket?: unknown } } } }).engine?.transport;
    const raw = transport?.ws?._socket;
    return raw instanceof TLSSocket ? raw : undefined;
  }

  /** A handshake this site will not complete: count, log, disconnect, retry after backoff. */
  private refuse(reason: string, message: string): void {
    this.options.logger.error({ reason, url: this.options.url }, message);
    this.options.onHandshakeRefused(reason, message);
    this.walkAway();
  }

  private walkAway(): void {
    if (this.stage === 'idle' && !this.socket.connected) return;
    // A manual disconnect stops socket.io's own retries; onDisconnect schedules ours.
    this.socket.disconnect();
  }

  /** Handshake frames; runs inside socket event handlers, so it logs instead of throwing. */
  private emit(envelope: Envelope): void {
    if (!this.socket.connected) return;
    let bytes: Uint8Array;
    try {
      bytes = this.options.codec.encode(envelope);
    } catch (error) {
      this.options.logger.error({ err: error, type: envelope.type }, 'cannot encode a handshake message');
      this.walkAway();
      return;
    }
    this.socket.emit('msg', bytes);
  }
}

/**
 * What a stranger may cost the coordinator before it authenticates (issue 12, finding 3):
 *
 * - A small frame limit until `welcome`. engine.io hands maxHttpBufferSize to ws as
 *   `maxPayload`, which ws checks against each frame's declared length in its header,
 *   before buffering any of it, closing with 1009. The server is therefore built with
 *   the pre-authentication limit (limits.preAuthFrameBytes), and a connection that
 *   authenticates as a site has its own limit raised to the full one just before its
 *   welcome is sent (`setFrameLimit`). Checking sizes later (in the parser, or on
 *   engine.io's `packet` event) would come after the whole frame was buffered.
 * - A cap on unauthenticated connections, overall and per remote address, enforced in
 *   engine.io's `allowRequest` (the upgrade request is answered 403 before a websocket
 *   exists). A connection leaves the count when it closes, authenticates as a site, or
 *   is admitted to the dashboard by its token.
 * - A hard deadline: a connection still unauthenticated after the handshake timeout is
 *   destroyed, whatever namespace it did or did not join.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import type { Socket } from 'socket.io';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export interface AdmissionLimits {
  /** Frame limit before authentication (bytes). */
  preAuthFrameBytes: number;
  /** Frame limit of an authenticated site (bytes). */
  frameBytes: number;
  maxUnauthenticated: number;
  maxUnauthenticatedPerAddress: number;
  handshakeTimeoutMs: number;
}

/** ws's close code for a frame above maxPayload. */
export const WS_ERR_UNSUPPORTED_MESSAGE_LENGTH = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';

interface Receiver {
  _maxPayload?: unknown;
}
interface WsLike {
  _receiver?: Receiver;
  on?(event: 'error', listener: (error: { code?: unknown }) => void): unknown;
}
/** The parts of an engine.io socket this module reads: its request and, for the websocket transport, the ws socket. */
interface EngineSocketLike {
  request: IncomingMessage;
  transport?: { name?: string; socket?: WsLike };
}

function wsOf(conn: EngineSocketLike): WsLike | undefined {
  return conn.transport?.name === 'websocket' ? conn.transport.socket : undefined;
}

/**
 * Sets the largest frame ws will accept on this one connection. ws reads its receiver's
 * `_maxPayload` on every frame header and offers no public per-connection setter;
 * admission.test.ts pins this against the installed ws, so an upgrade that moves it fails
 * the tests instead of leaving sites unable to send their updates. False if it could not.
 */
export function setFrameLimit(conn: EngineSocketLike, bytes: number): boolean {
  const receiver = wsOf(conn)?._receiver;
  if (!receiver || typeof receiver._maxPayload !== 'number') return false;
  receiver._maxPayload = bytes;
  return true;
}

/** The frame limit ws applies on this connection, if it can be read. */
export function frameLimitOf(conn: EngineSocketLike): number | undefined {
  const limit = wsOf(conn)?._receiver?._maxPayload;
  return typeof limit === 'number' ? limit : undefined;
}

interface Pending {
  address: string;
  timer: NodeJS.Timeout;
}

export class Admission {
  private readonly pending = new Map<NetSocket, Pending>();
  private readonly perAddress = new Map<string, number>();

  constructor(
    private readonly limits: AdmissionLimits,
    /** Counts connection_limit and frame_too_large (refusal-ledger.ts transportRefusals). */
    private readonly metrics: Pick<Metrics, 'rejected'>,
    private readonly logger: Logger,
  ) {}

  /** Connections not yet authenticated. */
  get unauthenticated(): number {
    return this.pending.size;
  }

  /** engine.io's `allowRequest`: every new connection's upgrade request, before its websocket exists. */
  readonly allowRequest = (req: IncomingMessage, callback: (error: string | null | undefined, success: boolean) => void): void => {
    const tcp = req.socket;
    const address = tcp.remoteAddress ?? 'unknown';
    const fromAddress = this.perAddress.get(address) ?? 0;
    if (this.pending.size >= this.limits.maxUnauthenticated || fromAddress >= this.limits.maxUnauthenticatedPerAddress) {
      this.metrics.rejected('connection_limit');
      this.logger.warn({ reason: 'connection_limit', address, unauthenticated: this.pending.size, fromAddress }, 'refused: too many unauthenticated connections');
      callback('too many unauthenticated connections', false);
      return;
    }
    const timer = setTimeout(() => {
      if (!this.pending.has(tcp)) return;
      this.logger.info({ address }, 'closing a connection that did not authenticate in time');
      tcp.destroy();
    }, this.limits.handshakeTimeoutMs);
    timer.unref();
    this.pending.set(tcp, { address, timer });
    this.perAddress.set(address, fromAddress + 1);
    tcp.once('close', () => this.release(tcp));
    callback(null, true);
  };

  /** engine.io's `connection`: counts frames ws refuses for their size on this connection. */
  watch(conn: EngineSocketLike): void {
    wsOf(conn)?.on?.('error', (error) => {
      if (error.code !== WS_ERR_UNSUPPORTED_MESSAGE_LENGTH) return;
      this.metrics.rejected('frame_too_large');
      this.logger.warn({ reason: 'frame_too_large', limit: frameLimitOf(conn), address: conn.request.socket.remoteAddress }, 'refused: a frame above the connection\'s frame limit');
    });
  }

  /** The connection authenticated as a site: it leaves the count and may send frames up to the full limit. */
  authenticated(socket: Socket): void {
    const conn = socket.conn as unknown as EngineSocketLike;
    this.release(conn.request.socket);
    if (!setFrameLimit(conn, this.limits.frameBytes)) {
      this.logger.error(
        { limit: this.limits.frameBytes },
        'cannot raise this connection\'s frame limit (the installed ws has no receiver maxPayload); the site can send frames of limits.preAuthFrameBytes only',
      );
    }
  }

  /** A dashboard admitted by its token: it leaves the count; it only listens, so its frame limit stays small. */
  admitted(socket: Socket): void {
    this.release((socket.conn as unknown as EngineSocketLike).request.socket);
  }

  close(): void {
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    this.perAddress.clear();
  }

  private release(tcp: NetSocket): void {
    const entry = this.pending.get(tcp);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.pending.delete(tcp);
    const left = (this.perAddress.get(entry.address) ?? 1) - 1;
    if (left > 0) this.perAddress.set(entry.address, left);
    else this.perAddress.delete(entry.address);
  }
}

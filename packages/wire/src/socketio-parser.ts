/**
 * A socket.io parser that frames every socket.io packet as one msgpack binary
 * message (instead of socket.io's JSON text plus binary attachments). Both the
 * coordinator and the site agent pass it as the `parser` option. Application
 * messages travel inside as already-encoded envelopes (see codec.ts), so a bad
 * envelope is refused and counted by the application while the connection
 * lives; a bad packet at this layer closes the connection (socket.io's rule).
 */
import { Packr } from 'msgpackr';
import { packrOptions } from './codec.js';

type Listener = (...args: unknown[]) => void;

/** The minimal event emitter socket.io expects of a decoder (on / off / removeListener / emit). */
class Emitter {
  private readonly listeners = new Map<string, Set<Listener>>();
  on(event: string, fn: Listener): this {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)!.add(fn);
    return this;
  }
  off(event?: string, fn?: Listener): this {
    if (event === undefined) this.listeners.clear();
    else if (fn === undefined) this.listeners.delete(event);
    else this.listeners.get(event)?.delete(fn);
    return this;
  }
  removeListener(event: string, fn: Listener): this {
    return this.off(event, fn);
  }
  removeAllListeners(event?: string): this {
    return this.off(event);
  }
  emit(event: string, ...args: unknown[]): boolean {
    const set = this.listeners.get(event);
    if (!set || set.size === 0) return false;
    for (const fn of [...set]) fn(...args);
    return true;
  }
}

const packr = new Packr(packrOptions());
// Decoding a packet hands its binary data on as views into the frame, not copies: the one
// binary datum is an envelope's frame, which the codec decodes (and copies typed arrays out
// of) next. Only the packet layer does this; the codec keeps copyBuffers.
const packetReader = new Packr({ ...packrOptions(), copyBuffers: false } as ConstructorParameters<typeof Packr>[0]);

/** socket.io's packet types (socket.io-parser's PacketType). */
export const PACKET_TYPES = { CONNECT: 0, DISCONNECT: 1, EVENT: 2, ACK: 3, CONNECT_ERROR: 4, BINARY_EVENT: 5, BINARY_ACK: 6 } as const;

/** Event names socket.io and Node's EventEmitter use themselves; a peer may never emit them (socket.io-parser's RESERVED_EVENTS). */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);

const NAMESPACE_MAX = 256;

export interface SocketIoPacket {
  type: number;
  nsp: string;
  data?: unknown;
  id?: number;
}

/** A plain object (what socket.io-parser's isObject accepts): not an array, not null, not a typed array. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return Object.prototype.toString.call(value) === '[object Object]';
}

/**
 * Why `p` is not a socket.io packet socket.io can dispatch safely, or undefined if it is.
 * The header rules (type, namespace, id) and socket.io-parser's `isPayloadValid` on the data:
 * CONNECT an object or nothing, DISCONNECT nothing, CONNECT_ERROR a string or an object,
 * EVENT and BINARY_EVENT a non-empty array led by an event name that is not reserved,
 * ACK and BINARY_ACK an array. socket.io dispatches events in a nextTick without a
 * try/catch, so anything else must be stopped here, where a throw closes the connection.
 */
export function packetProblem(p: unknown): string | undefined {
  if (!isPlainObject(p)) return 'not a packet (a msgpack map)';
  const { type, nsp, id, data } = p;
  if (!Number.isInteger(type) || (type as number) < 0 || (type as number) > PACKET_TYPES.BINARY_ACK) return 'unknown packet type';
  if (typeof nsp !== 'string' || nsp.length > NAMESPACE_MAX || !nsp.startsWith('/')) return 'invalid namespace';
  if (id !== undefined && !(Number.isSafeInteger(id) && (id as number) >= 0)) return 'invalid packet id';
  switch (type) {
    case PACKET_TYPES.CONNECT:
      return data === undefined || isPlainObject(data) ? undefined : 'CONNECT data must be an object or absent';
    case PACKET_TYPES.DISCONNECT:
      return data === undefined ? undefined : 'DISCONNECT carries no data';
    case PACKET_TYPES.CONNECT_ERROR:
      return typeof data === 'string' || isPlainObject(data) ? undefined : 'CONNECT_ERROR data must be a string or an object';
    case PACKET_TYPES.EVENT:
    case PACKET_TYPES.BINARY_EVENT: {
      if (!Array.isArray(data) || data.length === 0) return 'event data must be a non-empty array';
      const name: unknown = data[0];
      if (typeof name !== 'string') return 'event name must be a string';
      if (RESERVED_EVENTS.has(name)) return `reserved event name '${name.slice(0, 32)}'`;
      return undefined;
    }
    default: // ACK, BINARY_ACK
      return Array.isArray(data) ? undefined : 'ack data must be an array';
  }
}

/** A frame this parser refuses; socket.io (server and client) closes the connection on it. */
export class PacketRefusedError extends Error {
  constructor(message: string) {
    super(`socket.io packet refused: ${message}`);
    this.name = 'PacketRefusedError';
  }
}

export interface ParserHooks {
  /** Called once per refused frame, before the refusal reaches socket.io (count and log it here; must not throw). */
  onRefused?(error: PacketRefusedError, frameBytes: number): void;
}

/**
 * Packets already made for a frame sent to several sockets: a broadcast encoded once by the
 * sender (the same Uint8Array emitted to every site) is wrapped once, not once per socket.
 * Keyed by the frame object, so it goes when the frame does.
 */
const wrapped = new WeakMap<Uint8Array, { type: number; nsp: string; event: string; packet: Uint8Array }>();

export class MsgpackrEncoder {
  encode(packet: SocketIoPacket): Uint8Array[] {
    const data = packet.data;
    // An event with one binary argument and no ack id: the only form the protocol sends.
    if (packet.id === undefined && Array.isArray(data) && data.length === 2 && typeof data[0] === 'string' && data[1] instanceof Uint8Array) {
      const frame = data[1];
      const hit = wrapped.get(frame);
      if (hit && hit.type === packet.type && hit.nsp === packet.nsp && hit.event === data[0]) return [hit.packet];
      // As msgpack bin (a Buffer view of the same bytes, not a copy), which the peer's decoder hands
      // on as a view into its frame; a plain Uint8Array would travel as a typed-array extension,
      // which msgpackr always copies out. Either decodes to a Uint8Array, so older peers read both.
      const bin = Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
      const bytes: Uint8Array = packr.pack({ type: packet.type, nsp: packet.nsp, data: [data[0], bin], id: undefined });
      wrapped.set(frame, { type: packet.type, nsp: packet.nsp, event: data[0], packet: bytes });
      return [bytes];
    }
    return [packr.pack({ type: packet.type, nsp: packet.nsp, data: packet.data, id: packet.id })];
  }
}

export class MsgpackrDecoder extends Emitter {
  constructor(private readonly hooks: ParserHooks = {}) {
    super();
  }

  /**
   * One frame in, one packet out (`decoded`), or a PacketRefusedError thrown: socket.io's
   * server (Client.ondata) and client (Manager.ondata) catch a decoder's throw and close the
   * connection, so a refused frame ends its connection and nothing else.
   */
  add(chunk: unknown): void {
    let bytes: Uint8Array;
    if (chunk instanceof Uint8Array) bytes = chunk;
    else if (chunk instanceof ArrayBuffer) bytes = new Uint8Array(chunk);
    else this.refuse('text frame: this peer speaks msgpack', typeof chunk === 'string' ? chunk.length : 0);
    let packet: unknown;
    try {
      packet = packetReader.unpack(bytes);
    } catch (error) {
      this.refuse(`undecodable msgpack (${(error as Error).message.slice(0, 80)})`, bytes.byteLength);
    }
    const problem = packetProblem(packet);
    if (problem !== undefined) this.refuse(problem, bytes.byteLength);
    this.emit('decoded', packet);
  }

  destroy(): void {
    this.off();
  }

  private refuse(message: string, frameBytes: number): never {
    const error = new PacketRefusedError(message);
    try {
      this.hooks.onRefused?.(error, frameBytes);
    } catch {
      // A failing hook must not turn a refusal into something else.
    }
    throw error;
  }
}

/** The parser (Encoder, Decoder, protocol) for socket.io's `parser` option, with `hooks` in every decoder it makes. */
export interface MsgpackrParser {
  readonly Encoder: typeof MsgpackrEncoder;
  readonly Decoder: new () => MsgpackrDecoder;
  readonly protocol: 5;
}

export function createMsgpackrParser(hooks: ParserHooks = {}): MsgpackrParser {
  class HookedDecoder extends MsgpackrDecoder {
    constructor() {
      super(hooks);
    }
  }
  return { Encoder: MsgpackrEncoder, Decoder: HookedDecoder, protocol: 5 };
}

/** Pass as `parser` to socket.io's Server and to socket.io-client's io() (or use createMsgpackrParser to count refusals). */
export const msgpackrParser = createMsgpackrParser();

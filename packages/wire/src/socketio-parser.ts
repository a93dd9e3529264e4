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
const MAX_PACKET_TYPE = 6;

export interface SocketIoPacket {
  type: number;
  nsp: string;
  data?: unknown;
  id?: number;
}

function isPacket(p: unknown): p is SocketIoPacket {
  if (typeof p !== 'object' || p === null) return false;
  const { type, nsp, id } = p as Record<string, unknown>;
  return (
    Number.isInteger(type) && (type as number) >= 0 && (type as number) <= MAX_PACKET_TYPE &&
    typeof nsp === 'string' && nsp.length <= 256 &&
    (id === undefined || (Number.isInteger(id) && (id as number) >= 0))
  );
}

export class MsgpackrEncoder {
  encode(packet: SocketIoPacket): Uint8Array[] {
    return [packr.pack({ type: packet.type, nsp: packet.nsp, data: packet.data, id: packet.id })];
  }
}

export class MsgpackrDecoder extends Emitter {
  add(chunk: unknown): void {
    let bytes: Uint8Array;
    if (chunk instanceof Uint8Array) bytes = chunk;
    else if (chunk instanceof ArrayBuffer) bytes = new Uint8Array(chunk);
    else throw new Error('text frame refused: this server speaks msgpack');
    const packet: unknown = packr.unpack(bytes);
    if (!isPacket(packet)) throw new Error('invalid socket.io packet');
    this.emit('decoded', packet);
  }
  destroy(): void {
    this.off();
  }
}

/** Pass as `parser` to socket.io's Server and to socket.io-client's io(). */
export const msgpackrParser = { Encoder: MsgpackrEncoder, Decoder: MsgpackrDecoder, protocol: 5 } as const;

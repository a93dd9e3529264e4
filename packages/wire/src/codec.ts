/**
 * The binary codec: one msgpack map per frame. Typed arrays travel as
 * msgpackr's typed-array extension (ext type 0x74: a 1-byte array kind, then
 * the raw little-endian bytes), so a Float32Array of n values costs 4n bytes
 * plus a few, and arrives as a Float32Array on an aligned copy.
 */
import { Packr, type Options } from 'msgpackr';
import { CohortError } from './errors.js';
import type { Envelope } from './envelope.js';
import { LIMITS } from './limits.js';
import { frameBody } from './frame-body.js';
import { parseEnvelope } from './parse-envelope.js';
import { refusal } from './refusal.js';

export interface CodecOptions {
  /** Largest frame encoded or accepted, in bytes. */
  maxMessageBytes?: number;
}

export interface Codec {
  readonly maxMessageBytes: number;
  /** Validate, then encode; refuses what the peer would refuse. */
  encode(envelope: Envelope): Uint8Array;
  /** Size check, decode, validate; throws only CohortError. */
  decode(bytes: Uint8Array): Envelope;
  /**
   * `decode`, plus the bytes of the envelope's body as they are in the frame (a view, not a
   * copy): what a signature covers (PROTOCOL.md §11), hashed without packing the body again.
   */
  decodeReceived(bytes: Uint8Array): ReceivedEnvelope;
}

export interface ReceivedEnvelope {
  envelope: Envelope;
  /** The msgpack bytes of `envelope.body` in the received frame. */
  body: Uint8Array;
}

// The raw bytes of typed arrays are sent in platform order; the protocol says little-endian.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The msgpackr configuration both peers use (exported for the codec's own unit test). */
export function packrOptions(): Options {
  return {
    // Plain maps only: no record structures shared between peers, readable by any msgpack decoder.
    useRecords: false,
    mapsAsObjects: true,
    // Typed arrays as extension 0x74 instead of generic arrays or bin.
    moreTypes: true,
    // No object references or cycles on the wire.
    structuredClone: false,
    // Decoded bytes own their memory instead of pinning (and aliasing) the whole frame.
    copyBuffers: true,
    // Absent optional fields are omitted, not sent as msgpackr's private `undefined` extension.
    skipValues: [undefined],
  } as Options;
}

export function createCodec(options: CodecOptions = {}): Codec {
  const maxMessageBytes = options.maxMessageBytes ?? LIMITS.MAX_MESSAGE_BYTES;
  if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 1) {
    throw new CohortError('CONFIG_INVALID', 'maxMessageBytes must be a positive integer');
  }
  if (!LITTLE_ENDIAN) throw new CohortError('INTERNAL', 'the wire codec requires a little-endian platform');
  const packr = new Packr(packrOptions());

  const tooLarge = (bytes: number, direction: string) =>
    refusal('TOO_LARGE', `${direction} frame of ${bytes} bytes exceeds the limit of ${maxMessageBytes} bytes`, {
      bytes,
      limit: maxMessageBytes,
    });

  return {
    maxMessageBytes,
    encode(envelope) {
      const checked = parseEnvelope(envelope);
      const bytes: Uint8Array = packr.pack(checked);
      if (bytes.byteLength > maxMessageBytes) throw tooLarge(bytes.byteLength, 'outgoing');
      return bytes;
    },
    decode,
    decodeReceived(bytes) {
      const envelope = decode(bytes);
      return { envelope, body: frameBody(bytes) };
    },
  };

  function decode(bytes: Uint8Array): Envelope {
    if (!(bytes instanceof Uint8Array)) throw refusal('MALFORMED', 'malformed msgpack frame: not bytes');
    if (bytes.byteLength > maxMessageBytes) throw tooLarge(bytes.byteLength, 'incoming');
    let value: unknown;
    try {
      value = packr.unpack(bytes);
    } catch {
      // The decoder's own message may quote frame content, so it is not kept as the cause.
      throw refusal('MALFORMED', 'malformed msgpack frame');
    }
    return parseEnvelope(value);
  }
}

const bodyPackr = new Packr(packrOptions());

/**
 * The bytes a signature covers, on the sending side: the message body alone, packed with
 * the codec's settings, which are also the body's bytes inside the frame `encode` makes
 * (same keys in the same order, same number kinds, typed arrays as raw bytes). A receiver
 * hashes the body's bytes as they arrived (`decodeReceived`).
 */
export function encodeBody(body: unknown): Uint8Array {
  return bodyPackr.pack(body);
}

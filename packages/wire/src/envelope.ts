import { randomBytes } from 'node:crypto';
import type { MessageBodies, MessageType } from './messages.js';
import { PROTOCOL_VERSION } from './version.js';

/** One frame on the wire: a versioned, identified, optionally signed message. */
export interface EnvelopeOf<T extends MessageType> {
  /** Sender's protocol version, `<major>.<minor>`. */
  v: string;
  type: T;
  /** 16 random bytes as 32 lowercase hex characters, unique per message (logs, replay guards). */
  id: string;
  body: MessageBodies[T];
  /** Ed25519 signature (64 bytes), as specified by @cohortfl/identity. */
  sig?: Uint8Array;
}

export type Envelope = { [T in MessageType]: EnvelopeOf<T> }[MessageType];

// Compile-time guard: every message type has a body and every body a type.
const sameKeys: [MessageType, keyof MessageBodies] extends [keyof MessageBodies, MessageType] ? true : never = true;
void sameKeys;

export function newMessageId(): string {
  return randomBytes(16).toString('hex');
}

/** An unsigned envelope of our protocol version with a fresh id. */
export function createEnvelope<T extends MessageType>(type: T, body: MessageBodies[T]): EnvelopeOf<T> {
  return { v: PROTOCOL_VERSION, type, id: newMessageId(), body };
}

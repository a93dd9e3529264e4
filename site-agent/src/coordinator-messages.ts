/**
 * The site's record of every coordinator-signed message it acted on:
 * `<stateDir>/coordinator-messages.jsonl`, one line per message, appended and fsynced (0600)
 * BEFORE the site acts on it, like signed-messages.jsonl (record-file.ts). Each line keeps the
 * coordinator's signature and what it covers, the signing context and the SHA-512 of the
 * message body, so anyone holding the coordinator's public key can check it offline without
 * the message; and the site's reading of the broadcast content (`facts`: byte fields replaced
 * by their SHA-256, so a record stays small however large the message). Which messages:
 * every signed coordinator→site type (`round/start`, `secagg/roster`, `secagg/unmask`, and any
 * `secagg/*` step added later), chosen by the signing rules, not by a list kept here.
 * evidence.ts compares several sites' records to expose a coordinator that told sites different things.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { payloadHash, type SignContext } from '@cohortfl/identity';
import { isSignedType, signingContext } from '@cohortfl/protocol';
import { encodeBody, MESSAGE_SENDERS, type Envelope } from '@cohortfl/wire';
import { appendRecordLine, readRecordLines, type RecordLines } from './record-file.js';

export const COORDINATOR_MESSAGES_FILE = 'coordinator-messages.jsonl';

export interface CoordinatorMessageRecord {
  /** Milliseconds since the epoch when the site received it (its own clock). */
  at: number;
  /** `runId` of the signed round config the message belongs to; null when it named none. */
  run: number | string | null;
  /** The site that received it (the record's keeper). */
  site: string;
  type: string;
  round: number;
  attempt: number;
  /** The signing context the coordinator's signature is bound to. */
  context: SignContext;
  /** Hex SHA-512 of the body's bytes (as received; `encodeBody` of the body): with the context, what the signature covers. */
  body: string;
  /** The coordinator's Ed25519 signature, base64. */
  sig: string;
  /**
   * The broadcast content as the site read it: the body without its round key (type, taskHash,
   * round, attempt, which the context carries), byte arrays written `bytes:<length>:sha256:<hex>`.
   * Not covered by the signature: the site's testimony, for showing what differs.
   */
  facts: unknown;
}

export type CoordinatorMessages = RecordLines<CoordinatorMessageRecord>;

const contextSchema = z.strictObject({
  domain: z.string().min(1),
  taskHash: z.string().regex(/^[0-9a-f]{64}$/),
  round: z.number().int().min(0),
  attempt: z.number().int().min(0),
  site: z.string(),
  phase: z.string(),
  run: z.string().min(1).max(64).optional(),
});

const recordSchema = z.strictObject({
  at: z.number().int(),
  run: z.union([z.number(), z.string(), z.null()]),
  site: z.string().min(1),
  type: z.string().min(1),
  round: z.number().int().min(0),
  attempt: z.number().int().min(0),
  context: contextSchema,
  body: z.string().regex(/^[0-9a-f]{128}$/),
  sig: z.string().min(1),
  facts: z.unknown(),
});

export function coordinatorMessagesPath(stateDir: string): string {
  return join(stateDir, COORDINATOR_MESSAGES_FILE);
}

/** Whether the site keeps a record of this message: a coordinator→site type the coordinator signs. */
export function isRecordedCoordinatorMessage(type: string): boolean {
  return isSignedType(type) && (MESSAGE_SENDERS as Record<string, string | undefined>)[type] === 'coordinator';
}

/**
 * The record of a coordinator-signed envelope received by `site`. The caller has verified the
 * signature; the record keeps what is needed to verify it again without the message.
 */
export function coordinatorRecordOf(envelope: Envelope, site: string, run: number | string | null, at = Date.now(), bodyHash?: Uint8Array): CoordinatorMessageRecord {
  if (!(envelope.sig instanceof Uint8Array)) throw new TypeError(`${envelope.type} carries no signature to record`);
  const context = signingContext(envelope, run);
  const body = envelope.body as unknown as Record<string, unknown>;
  return {
    at,
    run,
    site,
    type: envelope.type,
    round: context.round,
    attempt: context.attempt,
    context: { ...context },
    // `bodyHash`: the SHA-512 the verifier already computed over the body's received bytes.
    body: Buffer.from(bodyHash ?? payloadHash(encodeBody(envelope.body))).toString('hex'),
    sig: Buffer.from(envelope.sig).toString('base64'),
    facts: factsOf(body),
  };
}

const ROUND_KEY = new Set(['type', 'taskHash', 'round', 'attempt']);

/** The body without its round key, byte arrays replaced by their length and SHA-256. */
export function factsOf(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) if (!ROUND_KEY.has(key)) out[key] = reduce(value);
  return out;
}

function reduce(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return `bytes:${bytes.byteLength}:sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  }
  if (Array.isArray(value)) return value.map(reduce);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = reduce(v);
    return out;
  }
  return value;
}

/** Appends one record durably. Throws DATA_INVALID when it cannot: the caller must then not act on the message. */
export function appendCoordinatorMessage(stateDir: string, record: CoordinatorMessageRecord): void {
  appendRecordLine(stateDir, coordinatorMessagesPath(stateDir), record, 'the coordinator-signed message');
}

/** Parses one record (from the file or an exported evidence bundle); undefined when it is not one. */
export function parseCoordinatorRecord(value: unknown): CoordinatorMessageRecord | undefined {
  const parsed = recordSchema.safeParse(value);
  return parsed.success ? (parsed.data as CoordinatorMessageRecord) : undefined;
}

/** Reads every record; throws NOT_FOUND when there is no file, DATA_INVALID when it cannot be read. */
export function readCoordinatorMessages(stateDir: string): CoordinatorMessages {
  const path = coordinatorMessagesPath(stateDir);
  return readRecordLines(
    path,
    parseCoordinatorRecord,
    `no record of coordinator-signed messages at ${path}`,
    'the agent stopped while writing it; it did not act on that message',
  );
}

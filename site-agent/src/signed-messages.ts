/**
 * The site's own record of every message it signed: `<stateDir>/signed-messages.jsonl`,
 * one JSON line `{ at, run, type, round, attempt, phase, digest }` per message, appended
 * and fsynced BEFORE the message is sent (and, when the send then finds its connection gone,
 * the same line again with `undelivered: true`). `cohort-site audit verify` checks the
 * coordinator's audit log against it. A crash mid-append leaves a torn last line: it is
 * terminated on the next append (never rewritten: the file only grows) and reported,
 * not fatal, on read; that message was never sent (record-file.ts).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { auditDigestHex, signingDigest, type SiteAuditRecord } from '@cohortfl/identity';
import { signingContext } from '@cohortfl/protocol';
import { encodeBody, type Envelope, type RoundStart } from '@cohortfl/wire';
import { appendRecordLine, readRecordLines, type RecordLines } from './record-file.js';

export const SIGNED_MESSAGES_FILE = 'signed-messages.jsonl';

export interface SignedMessageRecord {
  /** Milliseconds since the epoch when the message was signed. */
  at: number;
  /** `runId` of the signed round config the message answers; null when it named none. */
  run: number | string | null;
  type: string;
  round: number;
  attempt: number;
  phase: string;
  /** auditDigestHex(signingDigest(signingContext(envelope), encodeBody(body))): what the coordinator logs. */
  digest: string;
  /**
   * Present on a second line for the same message, written after the send found its connection
   * gone: the message never left, so `audit verify` does not expect the log to show it.
   */
  undelivered?: true;
}

export type SignedMessages = RecordLines<SignedMessageRecord>;

const recordSchema = z.strictObject({
  at: z.number().int(),
  run: z.union([z.number(), z.string(), z.null()]),
  type: z.string().min(1),
  round: z.number().int().min(0),
  attempt: z.number().int().min(0),
  phase: z.string().min(1),
  digest: z.string().regex(/^[0-9a-f]{128}$/),
  undelivered: z.literal(true).optional(),
});

export function signedMessagesPath(stateDir: string): string {
  return join(stateDir, SIGNED_MESSAGES_FILE);
}

/** The run a round belongs to, as the coordinator names it in the signed round config. */
export function runOf(start: RoundStart): number | string | null {
  const run = start.config['runId'];
  return typeof run === 'number' || typeof run === 'string' ? run : null;
}

/** The record of a signed envelope, its digest computed exactly as the coordinator computes it. */
export function recordOf(envelope: Envelope, run: number | string | null, at = Date.now(), signed?: Uint8Array): SignedMessageRecord {
  const context = signingContext(envelope, run);
  const body = envelope.body as { round: number; attempt: number };
  // `signed`: the digest the signer already computed (signEnvelopeDigest), else computed here the same way.
  const digest = auditDigestHex(signed ?? signingDigest(context, encodeBody(envelope.body)));
  return { at, run, type: envelope.type, round: body.round, attempt: body.attempt, phase: context.phase, digest };
}

/**
 * Appends one record durably (written, then fsynced; the folder too when the file is new).
 * Throws DATA_INVALID when it cannot: the caller must then not send the message.
 */
export function appendSignedMessage(stateDir: string, record: SignedMessageRecord): void {
  appendRecordLine(stateDir, signedMessagesPath(stateDir), record, 'the signed message');
}

/** Reads every record; throws NOT_FOUND when there is no file, DATA_INVALID when it cannot be read. */
export function readSignedMessages(stateDir: string): SignedMessages {
  const path = signedMessagesPath(stateDir);
  return readRecordLines(path, (value) => {
    const parsed = recordSchema.safeParse(value);
    return parsed.success ? parsed.data : undefined;
  }, `no record of signed messages at ${path}`, 'the agent stopped while writing it; that message was not sent');
}

/** The records in the shape `verifyAuditLog` matches. */
export function auditRecords(records: readonly SignedMessageRecord[]): SiteAuditRecord[] {
  return records.map(({ at, run, type, round, attempt, phase, digest, undelivered }) => ({ at, run, type, round, attempt, phase, digest, ...(undelivered ? { undelivered } : {}) }));
}

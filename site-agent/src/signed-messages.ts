/**
 * The site's own record of every message it signed: `<stateDir>/signed-messages.jsonl`,
 * one JSON line `{ at, run, type, round, attempt, phase, digest }` per message, appended
 * and fsynced BEFORE the message is sent (and, when the send then finds its connection gone,
 * the same line again with `undelivered: true`). `cohort-site audit verify` checks the
 * coordinator's audit log against it. A crash mid-append leaves a torn last line: it is
 * terminated on the next append (never rewritten: the file only grows) and reported,
 * not fatal, on read; that message was never sent.
 */
import { closeSync, fstatSync, fchmodSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { auditDigestHex, signingDigest, type SiteAuditRecord } from '@cohortfl/identity';
import { signingContext } from '@cohortfl/protocol';
import { CohortError, encodeBody, type Envelope, type RoundStart } from '@cohortfl/wire';
import { syncDir } from './atomic-file.js';

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

export interface SignedMessages {
  path: string;
  records: SignedMessageRecord[];
  /** Lines that are not records (a crash mid-write, or damage), each naming its line number. */
  damaged: string[];
}

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
  const context = signingContext(envelope);
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
  const path = signedMessagesPath(stateDir);
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const fd = openSync(path, 'a+', 0o600);
    try {
      const stat = fstatSync(fd);
      // The record is not secret, but only this site may add to it.
      if ((stat.mode & 0o077) !== 0) fchmodSync(fd, 0o600);
      const line = `${endsTorn(fd, stat.size) ? '\n' : ''}${JSON.stringify(record)}\n`;
      const bytes = Buffer.from(line, 'utf8');
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written);
      fsyncSync(fd);
      if (stat.size === 0) syncDir(stateDir);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CohortError('DATA_INVALID', `cannot record the signed message in ${path}: ${why}`, { cause: error });
  }
}

/** Whether a non-empty file lacks its final newline (a crash cut the last append short). */
function endsTorn(fd: number, size: number): boolean {
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] !== 0x0a;
}

/** Reads every record; throws NOT_FOUND when there is no file, DATA_INVALID when it cannot be read. */
export function readSignedMessages(stateDir: string): SignedMessages {
  const path = signedMessagesPath(stateDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CohortError('NOT_FOUND', `no record of signed messages at ${path}`, { cause: error });
    throw new CohortError('DATA_INVALID', `cannot read ${path}: ${code ?? (error as Error).message}`, { cause: error });
  }
  const lines = text.split('\n');
  const complete = text.endsWith('\n') || text.length === 0;
  if (complete) lines.pop();
  const records: SignedMessageRecord[] = [];
  const damaged: string[] = [];
  lines.forEach((line, i) => {
    const last = i === lines.length - 1 && !complete;
    const parsed = parseLine(line);
    if (parsed) records.push(parsed);
    else if (last) damaged.push(`${path} line ${i + 1}: torn record (the agent stopped while writing it; that message was not sent)`);
    else damaged.push(`${path} line ${i + 1}: not a record (${line.length === 0 ? 'empty' : 'cut short or damaged'}); ignored`);
  });
  return { path, records, damaged };
}

function parseLine(line: string): SignedMessageRecord | undefined {
  try {
    const parsed = recordSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The records in the shape `verifyAuditLog` matches. */
export function auditRecords(records: readonly SignedMessageRecord[]): SiteAuditRecord[] {
  return records.map(({ at, run, type, round, attempt, phase, digest, undelivered }) => ({ at, run, type, round, attempt, phase, digest, ...(undelivered ? { undelivered } : {}) }));
}

/**
 * The coordinator's tamper-evident audit log: a hash chain of entries, each signed by the
 * coordinator key. Pure (no file or network IO) so both apps share one builder and one verifier.
 */
import { createHash } from 'node:crypto';
import { decodeBase64Strict, encodeBase64, decodeHexStrict, encodeHex } from './bytes.js';
import { encodePublicKey } from './keys.js';
import { SIGN_DOMAINS, type SignContext } from './sign-context.js';
import { signPayload, verifyDigest, verifyPayload } from './signature.js';
import { canonicalJson } from '@cohortfl/wire';

export const AUDIT_FORMAT = 'cohortfl-audit/1';
/** prevHash of the first entry. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** What an entry's hash covers. `data` is any JSON value. */
export interface AuditFields {
  seq: number;
  at: number;
  kind: string;
  site: string | null;
  data: unknown;
  prevHash: string;
}

export interface AuditEntry extends AuditFields {
  /** SHA-256 (hex) of the canonical JSON of the fields. */
  hash: string;
  /** Ed25519 signature (padded base64) of the hash bytes, domain SIGN_DOMAINS.AUDIT. */
  sig: string;
}

export interface AuditLog {
  format: typeof AUDIT_FORMAT;
  coordinatorPublicKey: string;
  entries: AuditEntry[];
}

/** The entry kind the coordinator logs for each site message it accepted (data: run, type, round, attempt, phase, digest). */
export const AUDIT_MESSAGE_ACCEPTED = 'message.accepted';
/**
 * The entry each export ends with, `data: { entries: <how many come before it> }`, signed like
 * the rest: entries cut off the end of an exported log take the seal with them.
 */
export const AUDIT_EXPORTED = 'audit.exported';
/**
 * The entry kind the coordinator logs for each site message it refused after checking the site's
 * signature; `data` names the message (run, type, round, attempt, phase, digest): the coordinator
 * received it, so it is not missing from the log. Refusals naming no signed message are only
 * counted, in `refusals` entries per site and reason per interval (coordinator README).
 */
export const AUDIT_MESSAGE_REFUSED = 'message.refused';
/**
 * How long before the export seal a site's message must have been signed for its absence from
 * the log to be a problem rather than a note: it covers the message's time in transit and the
 * difference between the site's and the coordinator's clocks.
 */
export const AUDIT_SEAL_GRACE_MS = 60_000;

/** What a site kept of a message it signed. */
export interface SiteAuditRecord {
  /** The run (`runId` of the coordinator's signed round config), or null when the round named none. */
  run: number | string | null;
  /** The message type, e.g. 'update/submit'. */
  type: string;
  round: number;
  attempt: number;
  /** The signing context's phase; when both the record and the entry carry one, they must agree. */
  phase?: string;
  /** Hex of signingDigest(context, body bytes), as the replay guard computes it. */
  digest: string;
  /**
   * When the site signed it (milliseconds since the epoch, the site's clock). A record signed
   * before the export seal (less AUDIT_SEAL_GRACE_MS) that the log lacks is a problem; without
   * a time it can only be a note.
   */
  at?: number;
  /**
   * A marker, not a message: the site recorded the message with this digest and then knew it
   * was never sent (its connection was gone), so the log cannot be expected to show it.
   */
  undelivered?: boolean;
}

export interface VerifyAuditOptions {
  /** The pinned coordinator key (`ed25519:…`) or its 32 bytes. */
  coordinatorPublicKey: Uint8Array;
  site?: string;
  siteRecords?: readonly SiteAuditRecord[];
  /** The site's own public key: with it, the site signature an entry carries (`data.sig`) must verify over its digest. */
  sitePublicKey?: Uint8Array;
  /** The log must end with the coordinator's export seal (AUDIT_EXPORTED) counting every entry before it. */
  requireExportSeal?: boolean;
  /** Overrides AUDIT_SEAL_GRACE_MS (milliseconds, ≥ 0). */
  sealGraceMs?: number;
  /**
   * Which coordinator signatures to check. 'anchor' (the default): when every entry is well
   * formed, in sequence, chained to the one before and hashes to its `hash`, only the last
   * entry's signature is checked: its hash covers the previous entry's hash, and so on back to
   * the genesis hash, so that one signature vouches for the content of every entry (as long as
   * SHA-256 resists second preimages). An earlier entry's `sig` field, which no hash covers, is
   * then not looked at. When the chain is broken anywhere, or the last signature does not verify,
   * every signature is checked so that each bad entry is named. 'every': always every signature
   * (one Ed25519 verification per entry; for a log whose stored signatures are themselves in doubt).
   */
  signatures?: 'anchor' | 'every';
}

/**
 * `problems` fail the log; `notes` (only with site records) are informational: messages the
 * site signed that the log does not show but cannot be held against it (signed after the
 * export seal or too close to it, known never sent, or a log without a seal), and messages
 * the log shows the coordinator refused.
 */
export type AuditVerdict =
  | { ok: true; entries: AuditEntry[]; notes?: string[] }
  | { ok: false; problems: string[]; notes?: string[] };

/** An entry's canonical JSON: a NaN metric is written null, so logging never fails on one. */
function entryJson(value: unknown): string {
  return canonicalJson(value, { nonFinite: 'null', what: 'an audit entry' });
}

export function auditEntryHash(fields: AuditFields): string {
  const { seq, at, kind, site, data, prevHash } = fields;
  return createHash('sha256').update(entryJson({ seq, at, kind, site, data, prevHash }), 'utf8').digest('hex');
}

function auditContext(seq: number): SignContext {
  return { domain: SIGN_DOMAINS.AUDIT, taskHash: AUDIT_GENESIS_HASH, round: seq % 2 ** 32, attempt: 0, site: 'coordinator', phase: 'audit' };
}

/** Hash and sign one entry. `data` is normalized through JSON first, so what is hashed is what is stored. */
export function signAuditEntry(secretKey: Uint8Array, fields: AuditFields): AuditEntry {
  const normalized: AuditFields = { ...fields, data: JSON.parse(fields.data === undefined ? 'null' : entryJson(fields.data)) as unknown };
  const hash = auditEntryHash(normalized);
  const sig = encodeBase64(signPayload(secretKey, auditContext(fields.seq), decodeHexStrict(hash)!));
  return { ...normalized, hash, sig };
}

const HEX64 = /^[0-9a-f]{64}$/;

function shapeProblem(e: unknown, i: number): string | undefined {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return `entry #${i + 1}: not an object`;
  const r = e as Record<string, unknown>;
  if (!Number.isSafeInteger(r['seq']) || (r['seq'] as number) < 1) return `entry #${i + 1}: seq is not a positive integer`;
  const at = `seq ${String(r['seq'])}`;
  if (!Number.isSafeInteger(r['at'])) return `${at}: 'at' is not an integer time`;
  if (typeof r['kind'] !== 'string') return `${at}: kind is not a string`;
  if (r['site'] !== null && typeof r['site'] !== 'string') return `${at}: site is neither a string nor null`;
  if (!('data' in r)) return `${at}: data is missing`;
  for (const key of ['prevHash', 'hash']) {
    if (typeof r[key] !== 'string' || !HEX64.test(r[key] as string)) return `${at}: ${key} is not 64 lowercase hex characters`;
  }
  if (typeof r['sig'] !== 'string') return `${at}: sig is not a string`;
  return undefined;
}

/**
 * Checks the chain and every signature; with `site` and `siteRecords`, also that every
 * `message.accepted` entry naming that site matches a message the site recorded signing:
 * same run, type, round and attempt, and the same digest. Never throws: every problem
 * found is listed, each naming the seq it concerns.
 */
export function verifyAuditLog(json: unknown, options: VerifyAuditOptions): AuditVerdict {
  try {
    return verifyUnsafe(json, options);
  } catch (error) {
    // E.g. data nested deeper than the stack: a log nobody could have written honestly.
    return { ok: false, problems: [`the audit log cannot be checked: ${(error as Error).message}`] };
  }
}

function verifyUnsafe(json: unknown, options: VerifyAuditOptions): AuditVerdict {
  const problems: string[] = [];
  if (typeof json !== 'object' || json === null) return { ok: false, problems: ['the audit log is not a JSON object'] };
  const log = json as Record<string, unknown>;
  if (log['format'] !== AUDIT_FORMAT) problems.push(`format is ${JSON.stringify(log['format'])}, expected '${AUDIT_FORMAT}'`);
  const pinned = encodePublicKey(options.coordinatorPublicKey);
  if (log['coordinatorPublicKey'] !== pinned) {
    problems.push(`the log names coordinator key ${JSON.stringify(log['coordinatorPublicKey'])}, not the pinned ${pinned}`);
  }
  if (!Array.isArray(log['entries'])) return { ok: false, problems: [...problems, 'entries is not an array'] };
  const entries = log['entries'] as unknown[];
  // First the chain alone; then either the anchor's signature or, if anything is wrong, every one.
  let chain = chainProblems(entries, false, options);
  const last = entries.at(-1) as AuditEntry | undefined;
  if (options.signatures === 'every' || chain.length > 0 || last === undefined || !coordinatorSigned(last, options)) {
    chain = chainProblems(entries, true, options);
  }
  problems.push(...chain);
  if (options.requireExportSeal) problems.push(...sealProblems(entries));
  let notes: string[] | undefined;
  if (options.site !== undefined && options.siteRecords) {
    const site = matchSiteRecords(entries, options.site, options.siteRecords, options);
    problems.push(...site.problems);
    notes = site.notes;
  }
  const extra = notes && notes.length > 0 ? { notes } : {};
  return problems.length === 0 ? { ok: true, entries: entries as AuditEntry[], ...extra } : { ok: false, problems, ...extra };
}

/** Shape, sequence, chain and hash problems of every entry, and with `signatures` each one's signature. */
function chainProblems(entries: unknown[], signatures: boolean, options: VerifyAuditOptions): string[] {
  const problems: string[] = [];
  let prev: AuditEntry | undefined;
  entries.forEach((raw, i) => {
    const shape = shapeProblem(raw, i);
    if (shape) {
      problems.push(shape);
      prev = undefined;
      return;
    }
    const e = raw as AuditEntry;
    problems.push(...entryProblems(e, prev, i === 0, signatures, options));
    prev = e;
  });
  return problems;
}

/** Whether the entry's `sig` is the pinned coordinator's signature over its `hash` (not over its content: see entryProblems). */
function coordinatorSigned(e: AuditEntry, options: VerifyAuditOptions): boolean {
  const sig = decodeBase64Strict(e.sig);
  const hash = decodeHexStrict(e.hash);
  return sig !== undefined && hash !== undefined && verifyPayload(options.coordinatorPublicKey, auditContext(e.seq), hash, sig);
}

function entryProblems(e: AuditEntry, prev: AuditEntry | undefined, first: boolean, signatures: boolean, options: VerifyAuditOptions): string[] {
  const out: string[] = [];
  const at = `seq ${e.seq}`;
  const expectedSeq = first ? 1 : prev ? prev.seq + 1 : undefined;
  if (expectedSeq !== undefined && e.seq !== expectedSeq) {
    out.push(
      e.seq > expectedSeq
        ? `${at}: follows seq ${expectedSeq - 1}; entries ${expectedSeq}..${e.seq - 1} are missing (deleted)`
        : `${at}: comes after seq ${expectedSeq - 1}; the entries are out of order (reordered or duplicated)`,
    );
  }
  if (first && e.prevHash !== AUDIT_GENESIS_HASH) out.push(`${at}: the first entry's prevHash is not the genesis hash (entries before it were deleted)`);
  if (!first && prev && e.prevHash !== prev.hash) out.push(`${at}: prevHash does not match the hash of the entry before it (seq ${prev.seq}); the chain is broken`);
  if (auditEntryHash(e) !== e.hash) out.push(`${at}: hash mismatch; the entry's content was changed after it was logged`);
  if (signatures && !coordinatorSigned(e, options)) out.push(`${at}: the signature does not verify with the pinned coordinator key`);
  return out;
}

interface LoggedMessage {
  run: number | string | null;
  type: string;
  round: number;
  attempt: number;
  phase: string | undefined;
  digest: string;
  /** The site's signature over the digest, base64, as the coordinator logged it. */
  sig: string | undefined;
}

/** The message an accepted-message entry names, or undefined when its data is malformed. */
function loggedMessage(data: unknown): LoggedMessage | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const d = data as Record<string, unknown>;
  const run = d['run'] ?? null;
  if (run !== null && typeof run !== 'number' && typeof run !== 'string') return undefined;
  const { type, round, attempt, phase, digest, sig } = d;
  if (typeof type !== 'string' || !Number.isSafeInteger(round) || !Number.isSafeInteger(attempt) || typeof digest !== 'string') return undefined;
  if (phase !== undefined && typeof phase !== 'string') return undefined;
  if (sig !== undefined && typeof sig !== 'string') return undefined;
  return { run, type, round: round as number, attempt: attempt as number, phase, digest, sig };
}

const describeMessage = (m: Omit<LoggedMessage, 'digest' | 'sig'>): string =>
  `run ${m.run === null ? '(none)' : String(m.run)} ${m.type} round ${m.round} attempt ${m.attempt}${m.phase === undefined ? '' : ` (${m.phase})`}`;

/** What sameMessage compares besides the phase; run 1 and run '1' stay apart. */
const messageKey = (m: Pick<LoggedMessage, 'run' | 'type' | 'round' | 'attempt'>): string => JSON.stringify([m.run, m.type, m.round, m.attempt]);

const sameMessage = (r: SiteAuditRecord, m: LoggedMessage): boolean =>
  r.run === m.run && r.type === m.type && r.round === m.round && r.attempt === m.attempt && (r.phase === undefined || m.phase === undefined || r.phase === m.phase);

/**
 * Every accepted message the log attributes to `site` must be one the site signed: a record
 * with the same run, type, round and attempt and the same digest. A site may hold several
 * records for one of them (e.g. a refusal of a replayed round/start beside its answer); any
 * may match. A record no entry accounts for (accepted, or refused after its signature was
 * checked) is a problem when the site signed it well before the export seal: the coordinator
 * left it out or deleted it, and re-signed the chain. Later records, records the site knows it
 * never sent, and every record of a log without a seal are notes.
 */
function matchSiteRecords(entries: unknown[], site: string, records: readonly SiteAuditRecord[], options: VerifyAuditOptions): { problems: string[]; notes: string[] } {
  const { sitePublicKey } = options;
  const problems: string[] = [];
  const notes: string[] = [];
  const matched = new Set<SiteAuditRecord>();
  const messages = records.filter((r) => r.undelivered !== true);
  const undelivered = new Set(records.filter((r) => r.undelivered === true).map((r) => r.digest));
  const refused = new Map<string, string>();
  // The site's records by (run, type, round, attempt), in their order: one lookup per entry
  // instead of a scan of every record (quadratic in the length of a long run).
  const byMessage = new Map<string, SiteAuditRecord[]>();
  for (const r of messages) {
    const key = messageKey(r);
    const bucket = byMessage.get(key);
    if (bucket === undefined) byMessage.set(key, [r]);
    else bucket.push(r);
  }
  for (const raw of entries) {
    if (typeof raw !== 'object' || raw === null) continue;
    const e = raw as Partial<AuditEntry>;
    if (e.site !== site) continue;
    if (e.kind === AUDIT_MESSAGE_REFUSED) {
      const named = loggedMessage(e.data);
      if (named) refused.set(named.digest, `seq ${String(e.seq)}`);
      continue;
    }
    if (e.kind !== AUDIT_MESSAGE_ACCEPTED) continue;
    const at = `seq ${String(e.seq)}`;
    const logged = loggedMessage(e.data);
    if (!logged) {
      problems.push(`${at}: a ${AUDIT_MESSAGE_ACCEPTED} entry for ${site} lacks a well-formed run, type, round, attempt and digest; it cannot be checked against the site's records`);
      continue;
    }
    if (sitePublicKey && logged.sig !== undefined && !siteSignatureVerifies(sitePublicKey, logged)) {
      problems.push(`${at}: ${describeMessage(logged)} of ${site}: the logged site signature does not verify over the logged digest with ${site}'s key`);
    }
    const candidates = (byMessage.get(messageKey(logged)) ?? []).filter((r) => sameMessage(r, logged));
    const mine = candidates.find((r) => r.digest === logged.digest && !matched.has(r)) ?? candidates.find((r) => r.digest === logged.digest);
    if (mine && matched.has(mine)) {
      // The replay guard accepts a message once: a second acceptance is an invented entry.
      problems.push(`${at}: ${describeMessage(logged)} of ${site}: the log shows this message (digest ${logged.digest.slice(0, 16)}…) accepted again; ${site} signed it once`);
      continue;
    }
    if (mine) {
      matched.add(mine);
      continue;
    }
    problems.push(
      candidates.length === 0
        ? `${at}: ${describeMessage(logged)} of ${site}: the log has digest ${logged.digest}, but ${site} has no record of signing such a message`
        : `${at}: ${describeMessage(logged)} of ${site}: the log has digest ${logged.digest}, but ${site} signed ${candidates.map((r) => r.digest).join(' or ')}`,
    );
  }
  const seal = sealTime(entries);
  const grace = options.sealGraceMs ?? AUDIT_SEAL_GRACE_MS;
  for (const r of messages) {
    if (matched.has(r)) continue;
    const what = `${site} signed ${describeMessage({ ...r, phase: r.phase })} (digest ${String(r.digest).slice(0, 16)}…)`;
    const refusedAt = refused.get(r.digest);
    if (refusedAt !== undefined) {
      notes.push(`${what}: the coordinator received it and refused it (${refusedAt})`);
    } else if (undelivered.has(r.digest)) {
      notes.push(`${what} but never sent it (its connection was gone); the log has no entry for it`);
    } else if (seal !== undefined && r.at !== undefined && r.at < seal - grace) {
      problems.push(
        `${what} at ${isoTime(r.at)}, before the export seal at ${isoTime(seal)}, but the log has no entry for it: ` +
          'the coordinator left it out or deleted it and re-signed the chain (or it was lost in transit)',
      );
    } else {
      const why = seal === undefined || r.at === undefined ? 'lost in transit, refused by the coordinator, or sent after this export' : 'signed after this export was sealed (or within its grace period)';
      notes.push(`${what} but the log has no entry for it: ${why}`);
    }
  }
  return { problems, notes };
}

/** The time of the export seal the log ends with, when it ends with one. */
function sealTime(entries: unknown[]): number | undefined {
  const last = entries.at(-1) as Partial<AuditEntry> | undefined;
  return last && typeof last === 'object' && last.kind === AUDIT_EXPORTED && Number.isSafeInteger(last.at) ? last.at : undefined;
}

function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

/** Truncating the tail removes the seal; a seal from an earlier export counts fewer entries than precede it. */
function sealProblems(entries: unknown[]): string[] {
  const last = entries.at(-1) as Partial<AuditEntry> | undefined;
  if (!last || typeof last !== 'object' || last.kind !== AUDIT_EXPORTED) {
    return [`the log does not end with the coordinator's signed export entry (${AUDIT_EXPORTED}): entries may have been cut off its end`];
  }
  const counted = (last.data as { entries?: unknown } | null)?.entries;
  if (counted !== entries.length - 1) {
    return [`seq ${String(last.seq)}: the export entry counts ${String(counted)} entries before it, but the log holds ${entries.length - 1}`];
  }
  return [];
}

function siteSignatureVerifies(publicKey: Uint8Array, logged: LoggedMessage): boolean {
  const digest = decodeHexStrict(logged.digest);
  const sig = decodeBase64Strict(logged.sig ?? '');
  return digest !== undefined && sig !== undefined && verifyDigest(publicKey, digest, sig);
}

/** Hex of a signing digest, as audit entries and site records carry it. */
export function auditDigestHex(digest: Uint8Array): string {
  return encodeHex(digest);
}

/**
 * The coordinator's tamper-evident audit log: a hash chain of entries, each signed by the
 * coordinator key. Pure (no file or network IO) so both apps share one builder and one verifier.
 */
import { createHash } from 'node:crypto';
import { decodeBase64Strict, encodeBase64, decodeHexStrict, encodeHex } from './bytes.js';
import { encodePublicKey } from './keys.js';
import { SIGN_DOMAINS, type SignContext } from './sign-context.js';
import { signPayload, verifyPayload } from './signature.js';

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

/** What a site kept of a message it signed; `kind` is the message type, e.g. 'update/submit'. */
export interface SiteAuditRecord {
  kind: string;
  round: number;
  attempt: number;
  /** Hex of signingDigest(context, body bytes), as the replay guard computes it. */
  digest: string;
}

export interface VerifyAuditOptions {
  /** The pinned coordinator key (`ed25519:…`) or its 32 bytes. */
  coordinatorPublicKey: Uint8Array;
  site?: string;
  siteRecords?: readonly SiteAuditRecord[];
}

export type AuditVerdict = { ok: true; entries: AuditEntry[] } | { ok: false; problems: string[] };

/** JSON with object keys sorted at every depth: one spelling per value. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}

export function auditEntryHash(fields: AuditFields): string {
  const { seq, at, kind, site, data, prevHash } = fields;
  return createHash('sha256').update(canonicalJson({ seq, at, kind, site, data, prevHash }), 'utf8').digest('hex');
}

function auditContext(seq: number): SignContext {
  return { domain: SIGN_DOMAINS.AUDIT, taskHash: AUDIT_GENESIS_HASH, round: seq % 2 ** 32, attempt: 0, site: 'coordinator', phase: 'audit' };
}

/** Hash and sign one entry. `data` is normalized through JSON first, so what is hashed is what is stored. */
export function signAuditEntry(secretKey: Uint8Array, fields: AuditFields): AuditEntry {
  const normalized: AuditFields = { ...fields, data: JSON.parse(canonicalJson(fields.data) ?? 'null') as unknown };
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
 * entry naming that site carries the digest the site recorded for the same message.
 * Never throws: every problem found is listed, each naming the seq it concerns.
 */
export function verifyAuditLog(json: unknown, options: VerifyAuditOptions): AuditVerdict {
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
  let prev: AuditEntry | undefined;
  entries.forEach((raw, i) => {
    const shape = shapeProblem(raw, i);
    if (shape) {
      problems.push(shape);
      prev = undefined;
      return;
    }
    const e = raw as AuditEntry;
    problems.push(...entryProblems(e, prev, i === 0, options));
    prev = e;
  });
  if (options.site !== undefined && options.siteRecords) problems.push(...siteProblems(entries, options.site, options.siteRecords));
  return problems.length === 0 ? { ok: true, entries: entries as AuditEntry[] } : { ok: false, problems };
}

function entryProblems(e: AuditEntry, prev: AuditEntry | undefined, first: boolean, options: VerifyAuditOptions): string[] {
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
  const sig = decodeBase64Strict(e.sig);
  if (!sig || !verifyPayload(options.coordinatorPublicKey, auditContext(e.seq), decodeHexStrict(e.hash)!, sig)) {
    out.push(`${at}: the signature does not verify with the pinned coordinator key`);
  }
  return out;
}

function siteProblems(entries: unknown[], site: string, records: readonly SiteAuditRecord[]): string[] {
  const out: string[] = [];
  for (const raw of entries) {
    const e = raw as Partial<AuditEntry>;
    if (e.site !== site || typeof e.data !== 'object' || e.data === null) continue;
    const d = e.data as Record<string, unknown>;
    if (typeof d['digest'] !== 'string') continue;
    const mine = records.find((r) => r.kind === d['type'] && r.round === d['round'] && r.attempt === d['attempt']);
    if (mine && mine.digest !== d['digest']) {
      out.push(`seq ${String(e.seq)}: the log records digest ${d['digest']} for ${mine.kind} round ${mine.round} attempt ${mine.attempt} of ${site}, but the site signed ${mine.digest}`);
    }
  }
  return out;
}

/** Hex of a signing digest, as audit entries and site records carry it. */
export function auditDigestHex(digest: Uint8Array): string {
  return encodeHex(digest);
}

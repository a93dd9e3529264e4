/**
 * `cohort-site audit verify <file>`: checks a coordinator's exported audit log against the
 * coordinator key this site pinned (every hash, the chain, every signature) and, unless
 * told not to, against the site's own record of what it signed (signed-messages.ts):
 * every `message.accepted` entry naming this site must be a message the site signed and
 * kept, same run, type, round, attempt and digest; and every message the site signed well
 * before the export seal must be in the log (accepted, or refused after its signature was
 * checked). That catches a coordinator that rewrote or dropped one of the site's messages
 * and re-signed the whole chain, which the chain alone cannot.
 */
import { readFileSync } from 'node:fs';
import { AUDIT_MESSAGE_ACCEPTED, decodePublicKey, verifyAuditLog, type AuditVerdict } from '@cohortfl/identity';
import { CohortError, isCohortError } from '@cohortfl/wire';
import type { SiteConfig } from './config.js';
import { auditRecords, readSignedMessages, type SignedMessages } from './signed-messages.js';

export interface AuditReport {
  verdict: AuditVerdict;
  /** Whether every entry's coordinator signature was checked (else the chain's anchor, see VerifyAuditOptions.signatures). */
  everySignature: boolean;
  /** `message.accepted` entries naming this site (each matched against its records when they were read). */
  siteEntries: number;
  /** The site's records and any damaged lines in them; absent when not checked. */
  records?: SignedMessages;
}

export interface VerifyAuditFileOptions {
  /** Also check the entries naming this site against its signed-message record (default true). */
  siteRecords?: boolean;
  /** The site's own public key: the site signatures the log carries must verify with it. */
  sitePublicKey?: Uint8Array;
  /** See VerifyAuditOptions.sealGraceMs (default AUDIT_SEAL_GRACE_MS). */
  sealGraceMs?: number;
  /** Check the coordinator's signature on every entry (VerifyAuditOptions.signatures 'every'), not only the chain's anchor. */
  everySignature?: boolean;
}

export function verifyAuditFile(
  path: string,
  config: Pick<SiteConfig, 'coordinator' | 'site' | 'stateDir'>,
  options: VerifyAuditFileOptions = {},
): AuditReport {
  const json = readLog(path);
  const records = options.siteRecords === false ? undefined : readRecords(config.stateDir);
  const verdict = verifyAuditLog(json, {
    coordinatorPublicKey: decodePublicKey(config.coordinator.publicKey),
    // The coordinator seals every export: a log without its seal was cut short.
    requireExportSeal: true,
    signatures: options.everySignature ? 'every' : 'anchor',
    ...(options.sealGraceMs === undefined ? {} : { sealGraceMs: options.sealGraceMs }),
    ...(records ? { site: config.site, siteRecords: auditRecords(records.records), ...(options.sitePublicKey ? { sitePublicKey: options.sitePublicKey } : {}) } : {}),
  });
  return { verdict, everySignature: options.everySignature === true, siteEntries: countSiteEntries(json, config.site), ...(records ? { records } : {}) };
}

function readLog(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CohortError('DATA_INVALID', `cannot read the audit log ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CohortError('DATA_INVALID', `${path} is not JSON: ${(error as Error).message}`, { cause: error });
  }
}

function readRecords(stateDir: string): SignedMessages {
  try {
    return readSignedMessages(stateDir);
  } catch (error) {
    if (!isCohortError(error, 'NOT_FOUND')) throw error;
    throw new CohortError(
      'NOT_FOUND',
      `${error.message}: this site has signed nothing since it began keeping the record, or stateDir is not the one the agent ran with. ` +
        'To check only the chain and the coordinator signatures, add --no-site-records',
      { cause: error },
    );
  }
}

function countSiteEntries(json: unknown, site: string): number {
  const entries = (json as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(entries)) return 0;
  return entries.filter((e) => {
    const entry = e as { kind?: unknown; site?: unknown } | null;
    return entry?.kind === AUDIT_MESSAGE_ACCEPTED && entry.site === site;
  }).length;
}

/** Appending to and exporting the coordinator's signed, hash-chained audit log (README: "Audit log"). */
import { AUDIT_EXPORTED, AUDIT_FORMAT, AUDIT_MESSAGE_ACCEPTED, AUDIT_MESSAGE_REFUSED, encodePublicKey, signAuditEntry, type AuditEntry, type AuditLog, type Identity } from '@cohortfl/identity';
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';

/** The events the coordinator logs. */
export const AUDIT_KINDS = {
  SITE_ENROLLED: 'site.enrolled',
  SITE_REVOKED: 'site.revoked',
  TASK_PUBLISHED: 'task.published',
  RUN_STARTED: 'run.started',
  RUN_STOPPED: 'run.stopped',
  ROUND_STARTED: 'round.started',
  ROUND_COMPLETED: 'round.completed',
  MESSAGE_ACCEPTED: AUDIT_MESSAGE_ACCEPTED,
  MESSAGE_REFUSED: AUDIT_MESSAGE_REFUSED,
  /** Refusals naming no signed message, counted per site (or the unauthenticated bucket) and reason per interval (refusal-ledger.ts). */
  REFUSALS: 'refusals',
  PRIVACY_REPORTED: 'privacy.reported',
  AUDIT_EXPORTED,
} as const;
export type AuditKind = (typeof AUDIT_KINDS)[keyof typeof AUDIT_KINDS];

export interface AuditInput {
  at: number;
  kind: AuditKind;
  site?: string;
  data: Record<string, unknown>;
}

const builder = (identity: Identity, input: AuditInput) => (seq: number, prevHash: string) =>
  signAuditEntry(identity.secretKey, { seq, at: input.at, kind: input.kind, site: input.site ?? null, data: input.data, prevHash });

/** Sign and append one entry at the head of the chain, after any entries still pending (`tryAppendAudit`). */
export function appendAudit(store: Store, identity: Identity, input: AuditInput): AuditEntry {
  flushAudit(store);
  return store.appendAuditEntry(builder(identity, input));
}

interface Pending {
  identity: Identity;
  logger: Logger;
  input: AuditInput;
}

/** Entries of `tryAppendAudit` not yet committed, per store, in order. */
const pending = new WeakMap<Store, Pending[]>();

/**
 * For events inside the server (messages, rounds): a failed append is logged, not thrown,
 * so the audit log cannot stop a round; the gap is then visible in the server's log.
 * Group commit: entries are queued and committed together, in order, in one transaction
 * when the current event-loop turn's work is done (setImmediate), so a burst of accepted
 * messages costs one commit (one fsync under `synchronous = FULL`) instead of one each.
 * `flushAudit` commits at once; the run driver calls it before storing a round, so a stored
 * round's messages are in the log before the round is, and `appendAudit`, the export and
 * shutdown call it too.
 */
export function tryAppendAudit(store: Store, identity: Identity, logger: Logger, input: AuditInput): void {
  let queue = pending.get(store);
  if (queue === undefined) {
    queue = [];
    pending.set(store, queue);
  }
  queue.push({ identity, logger, input });
  if (queue.length === 1) setImmediate(() => flushAudit(store));
}

/** Commits the entries `tryAppendAudit` queued for `store`, if any; never throws (failures are logged). */
export function flushAudit(store: Store): void {
  const queue = pending.get(store);
  if (queue === undefined || queue.length === 0) return;
  const batch = queue.splice(0, queue.length);
  try {
    store.appendAuditEntries(batch.map((p) => builder(p.identity, p.input)));
  } catch (error) {
    for (const p of batch) p.logger.error({ err: error, kind: p.input.kind, site: p.input.site }, 'could not append to the audit log');
  }
}

/**
 * The whole log, sealed: the export itself is appended as a signed `audit.exported` entry
 * counting every entry before it, so entries cut off the end of the file are detected
 * (the seal goes with them, or an older seal counts fewer entries than precede it).
 */
export function exportAudit(store: Store, identity: Identity, at = Date.now()): AuditLog {
  const before = store.listAudit().length;
  appendAudit(store, identity, { at, kind: AUDIT_KINDS.AUDIT_EXPORTED, data: { entries: before } });
  return { format: AUDIT_FORMAT, coordinatorPublicKey: encodePublicKey(identity.publicKey), entries: store.listAudit() };
}

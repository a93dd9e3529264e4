/**
 * Why the coordinator refuses a message: the label of cohort_messages_rejected_total,
 * the `reason` of the log line, and the code of the `error` sent back (README table).
 */
import type { RejectReason } from '@cohortfl/protocol';
import { refusalReason, type ErrorCode, type RefusalReason } from '@cohortfl/wire';

export const REFUSALS = [
  // The wire codec's refusal classes (wire REFUSAL_REASONS, lowercased; TOO_LARGE is `oversized`).
  'malformed',
  'version',
  'schema',
  'oversized',
  'non_finite',
  'shape',
  'hash',
  // Session and identity.
  'unknown_key',
  'revoked',
  'bad_signature',
  'impersonation',
  'unauthenticated',
  'unexpected',
  // Replay guard and the round state machine (protocol REJECT_REASONS, lowercased).
  'replayed',
  'duplicate',
  'wrong_task',
  'wrong_phase',
  'not_in_cohort',
  'site_mismatch',
] as const;
export type Refusal = (typeof REFUSALS)[number];

/** The code of the `error` a site receives for each refusal. */
export const REFUSAL_CODES: Record<Refusal, ErrorCode> = {
  malformed: 'MESSAGE_INVALID',
  version: 'MESSAGE_INVALID',
  schema: 'MESSAGE_INVALID',
  oversized: 'PAYLOAD_TOO_LARGE',
  non_finite: 'MESSAGE_INVALID',
  shape: 'SHAPE_MISMATCH',
  hash: 'MESSAGE_INVALID',
  unknown_key: 'UNAUTHORIZED',
  revoked: 'UNAUTHORIZED',
  bad_signature: 'SIGNATURE_INVALID',
  impersonation: 'UNAUTHORIZED',
  unauthenticated: 'UNAUTHORIZED',
  unexpected: 'MESSAGE_INVALID',
  replayed: 'REPLAYED',
  duplicate: 'REPLAYED',
  wrong_task: 'MESSAGE_INVALID',
  wrong_phase: 'MESSAGE_INVALID',
  not_in_cohort: 'MESSAGE_INVALID',
  site_mismatch: 'UNAUTHORIZED',
};

const WIRE: Record<RefusalReason, Refusal> = {
  MALFORMED: 'malformed',
  VERSION: 'version',
  SCHEMA: 'schema',
  TOO_LARGE: 'oversized',
  NON_FINITE: 'non_finite',
  SHAPE: 'shape',
  HASH: 'hash',
};

/** The refusal of an error thrown by the wire codec or checkUpdate; `schema` for any other CohortError. */
export function refusalOf(error: unknown): Refusal {
  const reason = refusalReason(error);
  return reason === undefined ? 'schema' : WIRE[reason];
}

export function refusalOfReject(reason: RejectReason): Refusal {
  return reason.toLowerCase() as Lowercase<RejectReason>;
}

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
  // Transport (issue 12): below the envelope, each closes the connection.
  /** A frame the socket.io parser refused (not a packet, bad data, a reserved event name). */
  'invalid_packet',
  /** A frame above the connection's frame limit (limits.preAuthFrameBytes before welcome), refused from its header. */
  'frame_too_large',
  /** An unauthenticated connection over limits.maxUnauthenticated or limits.maxUnauthenticatedPerAddress, refused at the upgrade. */
  'connection_limit',
  /** A socket event handler threw: the connection is closed, the process keeps serving. */
  'handler_error',
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
  invalid_packet: 'MESSAGE_INVALID',
  frame_too_large: 'PAYLOAD_TOO_LARGE',
  connection_limit: 'UNAUTHORIZED',
  handler_error: 'INTERNAL',
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

/**
 * Refusals of incoming data. Every one is a CohortError whose `details.reason`
 * names its class, so a coordinator can count rejected messages by reason
 * without parsing messages. Messages never quote the refused value.
 */
import { CohortError, type ErrorCode } from './errors.js';

export const REFUSAL_REASONS = [
  /** Not a msgpack frame, or not bytes at all. */
  'MALFORMED',
  /** Protocol major version differs from ours. */
  'VERSION',
  /** Decoded, but not a valid envelope or body (type, key, bound, format). */
  'SCHEMA',
  /** Frame or reassembled model above the byte limit. */
  'TOO_LARGE',
  /** NaN or ±Infinity in a tensor. */
  'NON_FINITE',
  /** Tensor length differs from the global model's. */
  'SHAPE',
  /** Reassembled weights do not match their announced SHA-256. */
  'HASH',
] as const;

export type RefusalReason = (typeof REFUSAL_REASONS)[number];

const CODE_FOR: Record<RefusalReason, ErrorCode> = {
  MALFORMED: 'MESSAGE_INVALID',
  VERSION: 'MESSAGE_INVALID',
  SCHEMA: 'MESSAGE_INVALID',
  TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  NON_FINITE: 'MESSAGE_INVALID',
  SHAPE: 'SHAPE_MISMATCH',
  HASH: 'MESSAGE_INVALID',
};

export function refusal(reason: RefusalReason, message: string, details: Record<string, unknown> = {}): CohortError {
  return new CohortError(CODE_FOR[reason], message, { details: { ...details, reason } });
}

/** The refusal class of an error thrown by this package, or undefined for anything else. */
export function refusalReason(error: unknown): RefusalReason | undefined {
  if (!(error instanceof CohortError)) return undefined;
  const reason = error.details?.['reason'];
  return (REFUSAL_REASONS as readonly unknown[]).includes(reason) ? (reason as RefusalReason) : undefined;
}

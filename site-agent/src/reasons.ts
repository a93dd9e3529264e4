/**
 * Labels of `cohort_messages_rejected_total{reason}`: the wire codec's refusal
 * reasons lowercased (TOO_LARGE as `oversized`, as on the coordinator), plus the
 * site's own checks.
 */
import { EVALUATION_REFUSALS } from '@cohortfl/protocol';
import { refusalReason, type RefusalReason } from '@cohortfl/wire';

const WIRE_LABELS: Record<RefusalReason, string> = {
  MALFORMED: 'malformed',
  VERSION: 'version',
  SCHEMA: 'schema',
  TOO_LARGE: 'oversized',
  NON_FINITE: 'non_finite',
  SHAPE: 'shape',
  HASH: 'hash',
};

/** Site-side reasons beyond the codec's, for the README and tests. */
export const SITE_REJECT_REASONS = [
  'bad_signature',
  'replayed',
  'duplicate',
  'wrong_sender',
  'unexpected',
  'task_invalid',
  'unpinned_key',
  'coordinator_unproven',
  'channel_unbound',
  'handshake_invalid',
  'handshake_timeout',
  'unrecorded',
  // Below the envelope (issue 12): a frame the socket.io parser refused, a handler that threw, an event other than 'msg'.
  'invalid_packet',
  'handler_error',
  'unknown_event',
  // Evaluation of anything but the run's committed model, once (protocol EvaluationGuard).
  ...EVALUATION_REFUSALS,
] as const;

/** The label for a refused message's error: its wire refusal reason, else its code lowercased. */
export function reasonOf(error: unknown): string {
  const reason = refusalReason(error);
  if (reason !== undefined) return WIRE_LABELS[reason];
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code.toLowerCase() : 'internal';
}

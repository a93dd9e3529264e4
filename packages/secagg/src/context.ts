import { SHA256_HEX_PATTERN } from '@cohortfl/wire';
import { concatBytes, u32be } from './bytes.js';
import { invalid } from './fail.js';
import { SIZES } from './vocabulary.js';

/**
 * What every derivation, signature and ciphertext of one round is bound to: the
 * task's manifest hash, the round number and the attempt (a retried round gets a
 * new attempt, hence fresh keys and masks).
 */
export interface RoundContext {
  /** SHA-256 of the task manifest, 64 lowercase hex characters. */
  taskHash: string;
  /** uint32 */
  round: number;
  /** uint32 */
  attempt: number;
}

function isU32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}

/** Refuses a malformed context with MESSAGE_INVALID. */
export function checkContext(context: RoundContext): RoundContext {
  if (typeof context !== 'object' || context === null) throw invalid('round context must be an object');
  if (typeof context.taskHash !== 'string' || !SHA256_HEX_PATTERN.test(context.taskHash)) {
    throw invalid('round context taskHash must be 64 lowercase hex characters');
  }
  if (!isU32(context.round)) throw invalid('round context round must be a uint32');
  if (!isU32(context.attempt)) throw invalid('round context attempt must be a uint32');
  return { taskHash: context.taskHash, round: context.round, attempt: context.attempt };
}

/** The 40-byte encoding: raw 32-byte task hash || u32be round || u32be attempt. */
export function encodeContext(context: RoundContext): Uint8Array {
  const checked = checkContext(context);
  const out = concatBytes([
    new Uint8Array(Buffer.from(checked.taskHash, 'hex')),
    u32be(checked.round),
    u32be(checked.attempt),
  ]);
  if (out.length !== SIZES.CONTEXT) throw invalid('round context did not encode to 40 bytes');
  return out;
}

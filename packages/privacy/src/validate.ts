import { CohortError } from '@cohortfl/wire';

/**
 * Boundary checks shared by every entry point. Privacy parameters that are out
 * of range are configuration errors: failing loudly beats a silently wrong ε.
 */
export function configError(message: string, details?: Record<string, unknown>): CohortError {
  return new CohortError('CONFIG_INVALID', message, details === undefined ? {} : { details });
}

export function requireFiniteNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw configError(`${name} must be a finite number`);
  return value;
}

export function requirePositive(name: string, value: unknown): number {
  const v = requireFiniteNumber(name, value);
  if (!(v > 0)) throw configError(`${name} must be positive, got ${v}`);
  return v;
}

export function requireNonNegative(name: string, value: unknown): number {
  const v = requireFiniteNumber(name, value);
  if (!(v >= 0)) throw configError(`${name} must be non-negative, got ${v}`);
  return v;
}

/** Integer in [min, max] (inclusive); max defaults to the largest safe integer. */
export function requireInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw configError(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

export function requireSamplingRate(value: unknown): number {
  const q = requireFiniteNumber('samplingRate', value);
  if (!(q >= 0 && q <= 1)) throw configError(`samplingRate must be in [0, 1], got ${q}`);
  return q;
}

export function requireDelta(value: unknown): number {
  const d = requireFiniteNumber('delta', value);
  if (!(d > 0 && d < 1)) throw configError(`delta must be in (0, 1), got ${d}`);
  return d;
}

/** RDP orders: a non-empty list of finite numbers > 1 (order 1 and ∞ have no finite conversion here). */
export function requireOrders(value: unknown): readonly number[] {
  if (!Array.isArray(value) || value.length === 0) throw configError('orders must be a non-empty array of numbers > 1');
  for (const order of value) {
    if (typeof order !== 'number' || !Number.isFinite(order) || !(order > 1)) {
      throw configError(`every RDP order must be a finite number > 1, got ${String(order)}`);
    }
  }
  return value as number[];
}

/** An RDP curve over `orders`: same length, each value ≥ 0 or +∞ (never NaN). */
export function requireRdp(value: unknown, orders: readonly number[]): readonly number[] {
  if (!Array.isArray(value) || value.length !== orders.length) {
    throw configError(`rdp must be an array with one value per order (${orders.length})`);
  }
  for (const r of value) {
    if (typeof r !== 'number' || Number.isNaN(r) || r < 0 || r === Number.NEGATIVE_INFINITY) {
      throw configError(`every RDP value must be a number ≥ 0 or +Infinity, got ${String(r)}`);
    }
  }
  return value as number[];
}

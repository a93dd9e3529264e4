/**
 * One error class with a closed code catalog. Every package throws CohortError;
 * CLIs map `code` to an exit code, and on the wire an error travels as
 * `{ code, message }` only (never a stack, a path or a data value).
 */
export const ERROR_CODES = {
  CONFIG_INVALID: 2,
  DATA_INVALID: 3,
  TASK_INVALID: 4,
  MESSAGE_INVALID: 5,
  SIGNATURE_INVALID: 6,
  REPLAYED: 7,
  PAYLOAD_TOO_LARGE: 8,
  POLICY_REFUSED: 9,
  BUDGET_EXHAUSTED: 10,
  SECAGG_ABORTED: 11,
  ROUND_FAILED: 12,
  SHAPE_MISMATCH: 13,
  NOT_FOUND: 14,
  UNAUTHORIZED: 15,
  INTERNAL: 70,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface CohortErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class CohortError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: CohortErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CohortError';
    this.code = code;
    this.details = options.details;
  }

  /** The form an error takes on the wire: code and message, nothing else. */
  toWire(): WireError {
    return { code: this.code, message: this.message };
  }
}

export interface WireError {
  code: ErrorCode;
  message: string;
}

export function isCohortError(value: unknown, code?: ErrorCode): value is CohortError {
  return value instanceof CohortError && (code === undefined || value.code === code);
}

/** Process exit code for an error: the catalog's number, or INTERNAL for anything else. */
export function exitCodeFor(error: unknown): number {
  return error instanceof CohortError ? ERROR_CODES[error.code] : ERROR_CODES.INTERNAL;
}

/**
 * Building blocks of the body schemas. Collections are bounded BEFORE their
 * elements are parsed, so a hostile frame with millions of entries costs one
 * length check, not millions of issues.
 */
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode, type WireError } from './errors.js';
import {
  KEY_PATTERN,
  LIMITS,
  PUBLIC_KEY_PATTERN,
  SHA256_HEX_PATTERN,
  SITE_NAME_PATTERN,
} from './limits.js';
import { PHASES } from './messages.js';

type Ctx = { value: unknown; issues: unknown[] };

function push(ctx: Ctx, message: string, params: Record<string, unknown> = {}): void {
  (ctx.issues as Array<Record<string, unknown>>).push({ code: 'custom', message, params, input: ctx.value });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

export const siteName = z
  .string()
  .min(1)
  .max(LIMITS.SITE_NAME_MAX)
  .regex(SITE_NAME_PATTERN, 'site name must be lowercase letters, digits, ".", "_" or "-", starting with a letter or digit');

export const sha256Hex = z.string().regex(SHA256_HEX_PATTERN, 'expected 64 lowercase hex characters (SHA-256)');
export const publicKey = z.string().regex(PUBLIC_KEY_PATTERN, "expected 'ed25519:' and 43 base64url characters");
export const counter = z.int().min(1).max(LIMITS.UINT32_MAX);
export const index = z.int().min(0).max(LIMITS.UINT32_MAX);
export const phase = z.enum(PHASES);
export const numExamples = z.int().min(1).max(LIMITS.NUM_EXAMPLES_MAX);
export const key = z.string().min(1).max(LIMITS.KEY_MAX).regex(KEY_PATTERN, 'keys are printable ASCII not starting with a space');
export const boundedText = (max: number) => z.string().max(max);

export const errorCode = z.custom<ErrorCode>(
  (v) => typeof v === 'string' && Object.hasOwn(ERROR_CODES, v),
  'expected an error code of the catalog',
);

export const wireError = z.strictObject({
  code: errorCode,
  message: z.string().max(LIMITS.MESSAGE_MAX),
}) satisfies z.ZodType<WireError>;

/** A Float32Array (never a plain array) holding only finite values. */
export const float32Array = z
  .custom<Float32Array>((v) => v instanceof Float32Array, 'expected a Float32Array')
  .check((ctx) => {
    const v = ctx.value as unknown;
    if (!(v instanceof Float32Array)) return;
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i])) {
        push(ctx, `value at index ${i} is not finite`, { reason: 'NON_FINITE', index: i });
        return;
      }
    }
  });

/** A Uint32Array (Z_2^32 values of a masked secure-aggregation vector). */
export const uint32Array = z.custom<Uint32Array>((v) => v instanceof Uint32Array, 'expected a Uint32Array');

/** Raw bytes; Node Buffers are accepted and handed on as plain Uint8Array views. */
export function bytes(options: { exact?: number; min?: number; max?: number }) {
  return z
    .custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected bytes (Uint8Array)')
    .check((ctx) => {
      const v = ctx.value as unknown;
      if (!(v instanceof Uint8Array)) return;
      const n = v.byteLength;
      if (options.exact !== undefined && n !== options.exact) push(ctx, `expected exactly ${options.exact} bytes, got ${n}`);
      if (options.min !== undefined && n < options.min) push(ctx, `expected at least ${options.min} bytes, got ${n}`);
      if (options.max !== undefined && n > options.max) push(ctx, `expected at most ${options.max} bytes, got ${n}`);
    })
    .transform((v) => (v.constructor === Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength)));
}

/** A string-keyed map of at most `maxEntries` entries. */
export function boundedRecord<V extends z.ZodType>(value: V, maxEntries: number) {
  return z
    .custom<Record<string, unknown>>(isPlainObject, 'expected a map')
    .check((ctx) => {
      const v = ctx.value as unknown;
      if (isPlainObject(v) && Object.keys(v).length > maxEntries) push(ctx, `at most ${maxEntries} entries`);
    })
    .pipe(z.record(key, value));
}

/** An array of at most `max` elements. */
export function boundedArray<E extends z.ZodType>(element: E, max: number) {
  return z
    .custom<unknown[]>((v) => Array.isArray(v), 'expected an array')
    .check((ctx) => {
      const v = ctx.value as unknown;
      if (Array.isArray(v) && v.length > max) push(ctx, `at most ${max} elements`);
    })
    .pipe(z.array(element));
}

/** Metric values: finite numbers only (zod 4 numbers refuse NaN and ±Infinity). */
export const metrics = boundedRecord(z.number(), LIMITS.METRICS_MAX_ENTRIES);
export const config = boundedRecord(
  z.union([z.number(), z.string().max(LIMITS.CONFIG_STRING_MAX), z.boolean()]),
  LIMITS.CONFIG_MAX_ENTRIES,
);

/**
 * One strict schema per message type: unknown keys, wrong types and values
 * out of bounds are refused. Each schema's output type is tied to the message
 * interface in messages.ts, so the two cannot drift.
 */
import { z } from 'zod';
import type { WireError } from './errors.js';
import { LIMITS, SESSION_ID_PATTERN, VERSION_PATTERN } from './limits.js';
import type {
  Auth,
  Challenge,
  EvalResult,
  Hello,
  MessageBodies,
  MessageType,
  ModelChunk,
  RoundRefuse,
  RoundStart,
  SiteStatus,
  TaskManifest,
  UpdateSubmit,
  Welcome,
} from './messages.js';
import {
  boundedArray,
  boundedText,
  bytes,
  config,
  counter,
  float32Array,
  index,
  metrics,
  numExamples,
  phase,
  publicKey,
  sha256Hex,
  siteName,
  wireError,
} from './schema-primitives.js';
import { isCompatibleVersion } from './version-rule.js';

const hello = z.strictObject({
  site: siteName,
  protocolVersion: z
    .string()
    .max(LIMITS.VERSION_MAX)
    .regex(VERSION_PATTERN, 'expected <major>.<minor>')
    .refine(isCompatibleVersion, { message: 'incompatible protocol major version', params: { reason: 'VERSION' } }),
  publicKey,
}) satisfies z.ZodType<Hello>;

const challenge = z.strictObject({
  challenge: bytes({ exact: LIMITS.CHALLENGE_BYTES }),
  coordinatorPublicKey: publicKey,
}) satisfies z.ZodType<Challenge>;

const auth = z.strictObject({
  site: siteName,
  signature: bytes({ exact: LIMITS.SIGNATURE_BYTES }),
}) satisfies z.ZodType<Auth>;

const welcome = z.strictObject({
  site: siteName,
  sessionId: z.string().min(1).max(LIMITS.SESSION_ID_MAX).regex(SESSION_ID_PATTERN, 'expected [A-Za-z0-9_-]'),
}) satisfies z.ZodType<Welcome>;

const roundKey = { taskHash: sha256Hex, round: counter, attempt: counter };

const roundStart = z
  .strictObject({
    type: z.literal('round/start'),
    ...roundKey,
    phase,
    cohort: boundedArray(siteName, LIMITS.COHORT_MAX).refine((c) => new Set(c).size === c.length, 'cohort lists a site twice'),
    config,
    weights: float32Array,
    weightsHash: sha256Hex.optional(),
    weightsChunks: z.int().min(1).max(LIMITS.MAX_CHUNKS).optional(),
  })
  .check((ctx) => {
    const m = ctx.value;
    const chunked = m.weightsChunks !== undefined;
    if (chunked !== (m.weightsHash !== undefined)) {
      ctx.issues.push({ code: 'custom', message: 'weightsHash and weightsChunks come together', input: m });
    } else if (chunked && m.weights.length !== 0) {
      ctx.issues.push({ code: 'custom', message: 'chunked weights: the weights field must be empty', input: m });
    }
  }) satisfies z.ZodType<RoundStart>;

const modelChunk = z
  .strictObject({
    ...roundKey,
    index,
    total: z.int().min(1).max(LIMITS.MAX_CHUNKS),
    hash: sha256Hex,
    data: bytes({ min: 1 }),
  })
  .refine((c) => c.index < c.total, { message: 'chunk index out of range', path: ['index'] }) satisfies z.ZodType<ModelChunk>;

const updateSubmit = z.strictObject({
  type: z.literal('update/submit'),
  ...roundKey,
  site: siteName,
  update: float32Array,
  numExamples,
  metrics,
}) satisfies z.ZodType<UpdateSubmit>;

const evalResult = z.strictObject({
  type: z.literal('eval/result'),
  ...roundKey,
  site: siteName,
  numExamples,
  metrics,
}) satisfies z.ZodType<EvalResult>;

const roundRefuse = z.strictObject({
  type: z.literal('round/refuse'),
  ...roundKey,
  site: siteName,
  phase,
  error: wireError,
}) satisfies z.ZodType<RoundRefuse>;

const taskManifest = z.strictObject({
  hash: sha256Hex,
  json: boundedText(LIMITS.MANIFEST_JSON_MAX).min(1),
}) satisfies z.ZodType<TaskManifest>;

const siteStatus = z.strictObject({
  epsilonSpent: z.number().min(0).optional(),
  ready: z.boolean(),
}) satisfies z.ZodType<SiteStatus>;

/** The body schema of every message type. */
export const BODY_SCHEMAS = {
  hello,
  challenge,
  auth,
  welcome,
  error: wireError satisfies z.ZodType<WireError>,
  'round/start': roundStart,
  'model/chunk': modelChunk,
  'update/submit': updateSubmit,
  'eval/result': evalResult,
  'round/refuse': roundRefuse,
  'task/manifest': taskManifest,
  status: siteStatus,
} as const satisfies { [T in MessageType]: z.ZodType<MessageBodies[T]> };

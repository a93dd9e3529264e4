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
import type { SecAggAttest, SecAggKeys, SecAggMasked, SecAggRelay, SecAggReveal, SecAggRoster, SecAggShares, SecAggSurvivors, SecAggUnmask } from './secagg-messages.js';
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
  uint32Array,
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
  nonce: bytes({ exact: LIMITS.CHALLENGE_BYTES }),
}) satisfies z.ZodType<Hello>;

const challenge = z.strictObject({
  challenge: bytes({ exact: LIMITS.CHALLENGE_BYTES }),
  coordinatorPublicKey: publicKey,
  binding: z.enum(['tls-exporter', 'none']),
  proof: bytes({ exact: LIMITS.SIGNATURE_BYTES }),
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

const MAX_BINS = 10_000;
const histogram = boundedArray(z.int().min(0).max(LIMITS.UINT32_MAX), MAX_BINS);
const evalCounts = z.strictObject({ pos: histogram, neg: histogram, brierSum: z.number().min(0), n: z.int().min(0).max(LIMITS.UINT32_MAX) });
const boundedRecord = <T extends z.ZodType>(value: T, max: number) =>
  z.record(z.string().min(1).max(LIMITS.KEY_MAX), value).refine((r) => Object.keys(r).length <= max, `at most ${max} entries`);
const evalStats = z.strictObject({
  bins: z.int().min(2).max(MAX_BINS),
  overall: evalCounts,
  byGroup: boundedRecord(boundedRecord(evalCounts, 256), 16),
  noiseSigma: z.number().positive().finite().optional(),
});

const evalResult = z.strictObject({
  type: z.literal('eval/result'),
  ...roundKey,
  site: siteName,
  numExamples,
  metrics,
  stats: evalStats.optional(),
}) satisfies z.ZodType<EvalResult>;

const roundRefuse = z.strictObject({
  type: z.literal('round/refuse'),
  ...roundKey,
  site: siteName,
  phase,
  error: wireError,
}) satisfies z.ZodType<RoundRefuse>;

const X25519_BYTES = 32;
const BOX_SHARE_BYTES = 338;
const REVEAL_SHARE_BYTES = 68;
const uniqueSites = (list: string[]) => new Set(list).size === list.length;

const secaggKeys = z.strictObject({
  type: z.literal('secagg/keys'),
  ...roundKey,
  site: siteName,
  cPk: bytes({ exact: X25519_BYTES }),
  sPk: bytes({ exact: X25519_BYTES }),
  keySig: bytes({ exact: LIMITS.SIGNATURE_BYTES }),
}) satisfies z.ZodType<SecAggKeys>;

const secaggRoster = z.strictObject({
  type: z.literal('secagg/roster'),
  ...roundKey,
  threshold: z.int().min(2).max(LIMITS.COHORT_MAX),
  degree: z.int().min(0).max(LIMITS.COHORT_MAX),
  colluders: z.int().min(0).max(LIMITS.COHORT_MAX),
  membership: sha256Hex,
  roster: boundedArray(
    z.strictObject({
      site: siteName,
      cPk: bytes({ exact: X25519_BYTES }),
      sPk: bytes({ exact: X25519_BYTES }),
      keySig: bytes({ exact: LIMITS.SIGNATURE_BYTES }),
      identityKey: publicKey,
    }),
    LIMITS.COHORT_MAX,
  ).refine((r) => uniqueSites(r.map((e) => e.site)), 'roster lists a site twice'),
}) satisfies z.ZodType<SecAggRoster>;

const secaggShares = z.strictObject({
  type: z.literal('secagg/shares'),
  ...roundKey,
  site: siteName,
  shares: boundedArray(z.strictObject({ to: siteName, ciphertext: bytes({ exact: BOX_SHARE_BYTES }) }), LIMITS.COHORT_MAX),
}) satisfies z.ZodType<SecAggShares>;

const secaggRelay = z.strictObject({
  type: z.literal('secagg/relay'),
  ...roundKey,
  shares: boundedArray(z.strictObject({ from: siteName, ciphertext: bytes({ exact: BOX_SHARE_BYTES }) }), LIMITS.COHORT_MAX),
}) satisfies z.ZodType<SecAggRelay>;

const secaggMasked = z.strictObject({
  type: z.literal('secagg/masked'),
  ...roundKey,
  site: siteName,
  masked: uint32Array,
}) satisfies z.ZodType<SecAggMasked>;

const survivorSets = {
  survivors: boundedArray(siteName, LIMITS.COHORT_MAX).refine(uniqueSites, 'survivors list a site twice'),
  dropped: boundedArray(siteName, LIMITS.COHORT_MAX).refine(uniqueSites, 'dropped lists a site twice'),
};

const secaggSurvivors = z.strictObject({
  type: z.literal('secagg/survivors'),
  ...roundKey,
  ...survivorSets,
}) satisfies z.ZodType<SecAggSurvivors>;

const secaggAttest = z.strictObject({
  type: z.literal('secagg/attest'),
  ...roundKey,
  site: siteName,
  sig: bytes({ exact: LIMITS.SIGNATURE_BYTES }),
}) satisfies z.ZodType<SecAggAttest>;

const secaggUnmask = z.strictObject({
  type: z.literal('secagg/unmask'),
  ...roundKey,
  ...survivorSets,
  attestations: boundedArray(z.strictObject({ site: siteName, sig: bytes({ exact: LIMITS.SIGNATURE_BYTES }) }), LIMITS.COHORT_MAX).refine(
    (list) => uniqueSites(list.map((a) => a.site)),
    'attestations list a site twice',
  ),
}) satisfies z.ZodType<SecAggUnmask>;

const secaggReveal = z.strictObject({
  type: z.literal('secagg/reveal'),
  ...roundKey,
  site: siteName,
  reveals: boundedArray(
    z.strictObject({ owner: siteName, kind: z.enum(['b', 's']), share: bytes({ exact: REVEAL_SHARE_BYTES }) }),
    LIMITS.COHORT_MAX,
  ),
}) satisfies z.ZodType<SecAggReveal>;

const taskManifest = z.strictObject({
  hash: sha256Hex,
  json: boundedText(LIMITS.MANIFEST_JSON_MAX).min(1),
}) satisfies z.ZodType<TaskManifest>;

const siteStatus = z.strictObject({
  epsilonSpent: z.number().min(0).optional(),
  epsilonBudget: z.number().positive().optional(),
  policy: z
    .strictObject({
      minCohortSize: z.number().int().min(0).max(1_000_000),
      approvedTasks: z.number().int().min(0).max(1_000_000),
      acceptTasks: z.boolean(),
    })
    .optional(),
  ready: z.boolean(),
  seq: z.int().min(1).max(0xffff_ffff),
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
  'secagg/keys': secaggKeys,
  'secagg/roster': secaggRoster,
  'secagg/shares': secaggShares,
  'secagg/relay': secaggRelay,
  'secagg/masked': secaggMasked,
  'secagg/survivors': secaggSurvivors,
  'secagg/attest': secaggAttest,
  'secagg/unmask': secaggUnmask,
  'secagg/reveal': secaggReveal,
} as const satisfies { [T in MessageType]: z.ZodType<MessageBodies[T]> };

/**
 * The shapes of the site's own files: the agent config, the policy and the data
 * mapping. Strict objects everywhere, so a typo in a hospital's file is refused
 * by name instead of silently ignored.
 */
import { z } from 'zod';
import { decodePublicKey } from '@cohortfl/identity';
import { LIMITS, SHA256_HEX_PATTERN, SITE_NAME_PATTERN } from '@cohortfl/wire';

export const DEFAULT_METRICS_PORT = 9464;
/** Smallest frame limit accepted: a handshake and a small model must fit. */
const MIN_MESSAGE_BYTES = 64 * 1024;

const path = z.string().min(1, 'must be a non-empty path');

/** The hospital's differential privacy budget, across every task it joins (one ledger per site). */
export const privacyBudgetSchema = z.strictObject({
  epsilonMax: z.number().positive('must be > 0').finite('must be a finite number'),
  delta: z.number().gt(0, 'must be > 0').lt(1, 'must be < 1'),
  noiseFloor: z.number().min(0, 'must be ≥ 0').finite('must be a finite number').default(0),
});

/**
 * The consortium membership the hospital approved: the file the operator distributed
 * (`cohort-coordinator sites consortium`) with the SHA-256 the hospital checked out of
 * band, or the members listed inline. Secure aggregation peers come only from it.
 */
export const consortiumSchema = z.union([
  z.strictObject({
    file: z.string().min(1, 'must be a non-empty path'),
    sha256: z.string().regex(SHA256_HEX_PATTERN, 'must be the SHA-256 of the consortium file\'s membership: 64 lowercase hex characters'),
  }),
  z.strictObject({
    members: z.array(z.strictObject({ site: z.string().min(1), identityKey: z.string().min(1) })).min(1, 'must list at least one member'),
    sha256: z.string().regex(SHA256_HEX_PATTERN).optional(),
  }),
]);

export const policySchema = z.strictObject({
  acceptTasks: z.boolean(),
  approvedTaskHashes: z.array(z.string().regex(SHA256_HEX_PATTERN, 'must be a task hash: 64 lowercase hex characters')),
  minCohortSize: z.int().min(1).max(LIMITS.COHORT_MAX),
  /** Colluding sites this hospital assumes; the secure aggregation threshold must tolerate them (default 1). */
  colluders: z.int().min(0).max(LIMITS.COHORT_MAX).optional(),
  /** Distributed DP: the fewest sites whose noise this hospital accepts to count on (default 1). */
  minNoiseSites: z.int().min(1).max(LIMITS.COHORT_MAX).optional(),
  consortium: consortiumSchema.optional(),
  /**
   * Smallest subgroup × label cell whose evaluation statistics leave the site; absent: 10
   * (protocol DEFAULT_MIN_CELL_SIZE). Disclosure-control rules in common use take 5 to 11.
   */
  minCellSize: z.int().min(1, 'must be ≥ 1').max(1_000_000).optional(),
  /** Discrete Gaussian noise (σ in counts) on every released evaluation count, charged to `privacy`. */
  evaluationNoise: z.strictObject({ sigma: z.number().min(1, 'must be ≥ 1 count').max(1_000_000).finite('must be a finite number') }).optional(),
  privacy: privacyBudgetSchema.optional(),
}).refine((p) => p.evaluationNoise === undefined || p.privacy !== undefined, {
  message: 'evaluationNoise needs a privacy budget (privacy) to charge each noised evaluation to',
  path: ['evaluationNoise'],
});

export type ConsortiumSpec = z.infer<typeof consortiumSchema>;

export type PrivacyBudget = z.infer<typeof privacyBudgetSchema>;

const columnMapping = z.union([
  z.string().min(1),
  z.strictObject({
    from: z.string().min(1),
    values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  }),
]);

export const mappingSchema = z.strictObject({
  clinicalFile: z.string().min(1).optional(),
  genotypesFile: z.string().min(1).optional(),
  columns: z.record(z.string(), columnMapping).optional(),
  missingTokens: z.array(z.string()).optional(),
});

const publicKey = z.string().refine(
  (text) => {
    try {
      decodePublicKey(text);
      return true;
    } catch {
      return false;
    }
  },
  { message: "must be an Ed25519 public key: 'ed25519:' followed by 43 base64url characters (as `cohort-coordinator init` prints it)" },
);

const coordinatorUrl = z.string().refine(
  (text) => {
    try {
      return ['http:', 'https:'].includes(new URL(text).protocol);
    } catch {
      return false;
    }
  },
  { message: 'must be an http:// or https:// URL, e.g. https://coordinator.example.org:7300' },
);

export const configSchema = z.strictObject({
  site: z.string().max(LIMITS.SITE_NAME_MAX).regex(SITE_NAME_PATTERN, 'must be 1-64 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit'),
  coordinator: z.strictObject({
    url: coordinatorUrl,
    publicKey,
    ca: path.optional(),
    /**
     * 'required' (default over https): the coordinator must bind the handshake to the TLS
     * connection it terminates. 'optional': it may sit behind a TLS-terminating proxy.
     */
    channelBinding: z.enum(['required', 'optional']).optional(),
  }),
  keyFile: path,
  dataDir: path,
  mapping: z.union([path, mappingSchema]).optional(),
  policy: z.union([path, policySchema]),
  stateDir: path,
  metrics: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.int().min(0).max(65_535).default(DEFAULT_METRICS_PORT),
    })
    .optional(),
  limits: z
    .strictObject({
      maxMessageBytes: z.int().min(MIN_MESSAGE_BYTES).max(2 ** 31 - 1).default(LIMITS.MAX_MESSAGE_BYTES),
      maxModelBytes: z.int().min(MIN_MESSAGE_BYTES).max(2 ** 32).default(LIMITS.MAX_MODEL_BYTES),
    })
    .optional(),
});

export type RawSiteConfig = z.infer<typeof configSchema>;

/** One line per problem: `<file>: <field path>: <what is wrong>`. */
export function describeIssues(source: string, error: z.ZodError, prefix: readonly (string | number)[] = []): string {
  return error.issues
    .map((issue) => {
      const at = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? p.toString() : p))];
      const field = at.length === 0 ? '(top level)' : at.join('.');
      if (issue.code === 'unrecognized_keys') {
        const keys = issue.keys.map((k) => `'${k}'`).join(', ');
        return `${source}: ${field}: unknown field${issue.keys.length > 1 ? 's' : ''} ${keys} (check the spelling)`;
      }
      return `${source}: ${field}: ${issue.message}`;
    })
    .join('\n');
}

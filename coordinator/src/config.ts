/**
 * The coordinator's settings, from four layers: flags > env (COHORT_*) > the
 * config file (<data-dir>/config.json) > defaults. Every layer is a strict zod
 * schema, so a typo in a flag, variable or file fails loudly, naming where it came from.
 */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { CohortError, LIMITS } from '@cohortfl/wire';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Room for a chunk's envelope around its bytes (task hash, ids, msgpack headers). */
const CHUNK_HEADROOM = 4096;

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 7300,
  limits: {
    maxMessageBytes: LIMITS.MAX_MESSAGE_BYTES,
    chunkBytes: 8 * 1024 * 1024,
    /** Largest frame a connection may send before `welcome` (hello and auth are a few hundred bytes). */
    preAuthFrameBytes: 8 * 1024,
    /** Connections not yet authenticated (as a site, or as a dashboard by its token), overall and from one address. */
    maxUnauthenticated: 256,
    maxUnauthenticatedPerAddress: 16,
  },
  retryDelayMs: 2000,
  logLevel: 'info' as LogLevel,
  /**
   * Refusals without a checked site signature are written to the audit log as one `refusals`
   * entry per site (or the `unauthenticated` bucket) and reason every `flushSeconds`; a session
   * with more than `closeAfter` refusals within `windowSeconds` is closed.
   */
  refusals: { flushSeconds: 60, closeAfter: 100, windowSeconds: 10 },
} as const;

/** Room for the handshake: hello and auth envelopes, a dashboard's CONNECT with its token. */
export const MIN_PRE_AUTH_FRAME_BYTES = 1024;

const positiveInt = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const seconds = z.number().positive().max(7 * 24 * 3600);

/** One layer: every field optional; the same shape for flags, env and the file. */
export const configLayerSchema = z.strictObject({
  host: z.string().min(1).max(255).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  tls: z.strictObject({ cert: z.string().min(1).optional(), key: z.string().min(1).optional() }).optional(),
  limits: z
    .strictObject({
      maxMessageBytes: positiveInt.optional(),
      chunkBytes: positiveInt.optional(),
      preAuthFrameBytes: z.number().int().min(MIN_PRE_AUTH_FRAME_BYTES).max(Number.MAX_SAFE_INTEGER).optional(),
      maxUnauthenticated: z.number().int().min(1).max(1_000_000).optional(),
      maxUnauthenticatedPerAddress: z.number().int().min(1).max(1_000_000).optional(),
    })
    .optional(),
  /** Per-phase deadlines in seconds; absent = the task's own timeouts. */
  timeouts: z.strictObject({ train: seconds.optional(), evaluate: seconds.optional(), secagg: seconds.optional() }).optional(),
  retryDelayMs: z.number().int().min(0).max(3_600_000).optional(),
  logLevel: z.enum(LOG_LEVELS).optional(),
  refusals: z
    .strictObject({
      flushSeconds: z.number().positive().max(24 * 3600).optional(),
      closeAfter: z.number().int().min(1).max(1_000_000).optional(),
      windowSeconds: z.number().positive().max(24 * 3600).optional(),
    })
    .optional(),
});
export type ConfigLayer = z.infer<typeof configLayerSchema>;

export interface CoordinatorConfig {
  host: string;
  port: number;
  tls: { cert: string; key: string } | null;
  limits: {
    maxMessageBytes: number;
    chunkBytes: number;
    preAuthFrameBytes: number;
    maxUnauthenticated: number;
    maxUnauthenticatedPerAddress: number;
  };
  /** Seconds; `secagg` is the deadline of each secure aggregation exchange after training. */
  timeouts: { train?: number; evaluate?: number; secagg?: number };
  retryDelayMs: number;
  logLevel: LogLevel;
  /** See DEFAULTS.refusals. */
  refusals: { flushSeconds: number; closeAfter: number; windowSeconds: number };
}

function invalid(where: string, error: z.ZodError): CohortError {
  const issue = error.issues[0];
  const path = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
  return new CohortError('CONFIG_INVALID', `${where}: ${path}: ${issue?.message ?? 'invalid'}`);
}

/** Validate one layer; `where` names its source in the error ("config file x", "flags"). */
export function parseLayer(value: unknown, where: string): ConfigLayer {
  const result = configLayerSchema.safeParse(value);
  if (!result.success) throw invalid(where, result.error);
  return result.data;
}

const ENV_INT = /^[0-9]{1,16}$/;
const ENV_NUMBER = /^[0-9]{1,12}(\.[0-9]{1,9})?$/;

/** The COHORT_* variables the server reads; other COHORT_* names belong to other tools and are ignored. */
export const ENV_VARS = {
  COHORT_HOST: 'host',
  COHORT_PORT: 'port',
  COHORT_TLS_CERT: 'tls.cert',
  COHORT_TLS_KEY: 'tls.key',
  COHORT_MAX_MESSAGE_BYTES: 'limits.maxMessageBytes',
  COHORT_CHUNK_BYTES: 'limits.chunkBytes',
  COHORT_PRE_AUTH_FRAME_BYTES: 'limits.preAuthFrameBytes',
  COHORT_MAX_UNAUTHENTICATED: 'limits.maxUnauthenticated',
  COHORT_MAX_UNAUTHENTICATED_PER_ADDRESS: 'limits.maxUnauthenticatedPerAddress',
  COHORT_TRAIN_TIMEOUT: 'timeouts.train',
  COHORT_EVALUATE_TIMEOUT: 'timeouts.evaluate',
  COHORT_SECAGG_TIMEOUT: 'timeouts.secagg',
  COHORT_RETRY_DELAY_MS: 'retryDelayMs',
  COHORT_LOG_LEVEL: 'logLevel',
  COHORT_REFUSAL_FLUSH_SECONDS: 'refusals.flushSeconds',
  COHORT_REFUSAL_CLOSE_AFTER: 'refusals.closeAfter',
  COHORT_REFUSAL_WINDOW_SECONDS: 'refusals.windowSeconds',
} as const;

const NUMERIC = new Set([
  'port',
  'limits.maxMessageBytes',
  'limits.chunkBytes',
  'limits.preAuthFrameBytes',
  'limits.maxUnauthenticated',
  'limits.maxUnauthenticatedPerAddress',
  'retryDelayMs',
  'refusals.closeAfter',
]);
const DECIMAL = new Set(['timeouts.train', 'timeouts.evaluate', 'timeouts.secagg', 'refusals.flushSeconds', 'refusals.windowSeconds']);

export function layerFromEnv(env: Record<string, string | undefined>): ConfigLayer {
  const layer: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(ENV_VARS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let value: unknown = raw;
    if (NUMERIC.has(path) || DECIMAL.has(path)) {
      if (!(NUMERIC.has(path) ? ENV_INT : ENV_NUMBER).test(raw)) {
        throw new CohortError('CONFIG_INVALID', `env ${name}: expected ${NUMERIC.has(path) ? 'an integer' : 'a number'}`);
      }
      value = Number(raw);
    }
    setPath(layer, path, value);
  }
  return parseLayer(layer, 'env');
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const [head, tail] = path.split('.') as [string, string | undefined];
  if (tail === undefined) target[head] = value;
  else target[head] = { ...(target[head] as Record<string, unknown> | undefined), [tail]: value };
}

/** TLS paths in the config file are relative to the file's directory. */
export function resolveFilePaths(layer: ConfigLayer, baseDir: string): ConfigLayer {
  if (!layer.tls) return layer;
  const at = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(baseDir, p));
  const tls: NonNullable<ConfigLayer['tls']> = {};
  const cert = at(layer.tls.cert);
  const key = at(layer.tls.key);
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  return { ...layer, tls };
}

/** Merge layers, highest precedence first, over the defaults; then check the whole. */
export function mergeConfig(...layers: ConfigLayer[]): CoordinatorConfig {
  const pick = <T>(get: (l: ConfigLayer) => T | undefined): T | undefined => {
    for (const layer of layers) {
      const v = get(layer);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const cert = pick((l) => l.tls?.cert);
  const key = pick((l) => l.tls?.key);
  if ((cert === undefined) !== (key === undefined)) {
    throw new CohortError('CONFIG_INVALID', 'TLS needs both a certificate and a key (--tls-cert and --tls-key)');
  }
  const config: CoordinatorConfig = {
    host: pick((l) => l.host) ?? DEFAULTS.host,
    port: pick((l) => l.port) ?? DEFAULTS.port,
    tls: cert !== undefined && key !== undefined ? { cert, key } : null,
    limits: {
      maxMessageBytes: pick((l) => l.limits?.maxMessageBytes) ?? DEFAULTS.limits.maxMessageBytes,
      chunkBytes: pick((l) => l.limits?.chunkBytes) ?? DEFAULTS.limits.chunkBytes,
      preAuthFrameBytes: pick((l) => l.limits?.preAuthFrameBytes) ?? DEFAULTS.limits.preAuthFrameBytes,
      maxUnauthenticated: pick((l) => l.limits?.maxUnauthenticated) ?? DEFAULTS.limits.maxUnauthenticated,
      maxUnauthenticatedPerAddress: pick((l) => l.limits?.maxUnauthenticatedPerAddress) ?? DEFAULTS.limits.maxUnauthenticatedPerAddress,
    },
    timeouts: {},
    retryDelayMs: pick((l) => l.retryDelayMs) ?? DEFAULTS.retryDelayMs,
    logLevel: pick((l) => l.logLevel) ?? DEFAULTS.logLevel,
    refusals: {
      flushSeconds: pick((l) => l.refusals?.flushSeconds) ?? DEFAULTS.refusals.flushSeconds,
      closeAfter: pick((l) => l.refusals?.closeAfter) ?? DEFAULTS.refusals.closeAfter,
      windowSeconds: pick((l) => l.refusals?.windowSeconds) ?? DEFAULTS.refusals.windowSeconds,
    },
  };
  const train = pick((l) => l.timeouts?.train);
  const evaluate = pick((l) => l.timeouts?.evaluate);
  if (train !== undefined) config.timeouts.train = train;
  if (evaluate !== undefined) config.timeouts.evaluate = evaluate;
  const secagg = pick((l) => l.timeouts?.secagg);
  if (secagg !== undefined) config.timeouts.secagg = secagg;
  if (config.limits.chunkBytes + CHUNK_HEADROOM > config.limits.maxMessageBytes) {
    throw new CohortError(
      'CONFIG_INVALID',
      `limits.chunkBytes (${config.limits.chunkBytes}) must be at least ${CHUNK_HEADROOM} bytes below limits.maxMessageBytes (${config.limits.maxMessageBytes}), so a chunk fits in a frame`,
    );
  }
  if (config.limits.preAuthFrameBytes > config.limits.maxMessageBytes) {
    throw new CohortError('CONFIG_INVALID', `limits.preAuthFrameBytes (${config.limits.preAuthFrameBytes}) must not exceed limits.maxMessageBytes (${config.limits.maxMessageBytes})`);
  }
  if (config.limits.maxUnauthenticatedPerAddress > config.limits.maxUnauthenticated) {
    throw new CohortError(
      'CONFIG_INVALID',
      `limits.maxUnauthenticatedPerAddress (${config.limits.maxUnauthenticatedPerAddress}) must not exceed limits.maxUnauthenticated (${config.limits.maxUnauthenticated})`,
    );
  }
  return config;
}

/** What `init` writes to config.json: the defaults, spelled out for the operator to edit. */
export function defaultConfigFile(): ConfigLayer {
  return {
    host: DEFAULTS.host,
    port: DEFAULTS.port,
    limits: { ...DEFAULTS.limits },
    timeouts: {},
    retryDelayMs: DEFAULTS.retryDelayMs,
    logLevel: DEFAULTS.logLevel,
    refusals: { ...DEFAULTS.refusals },
  };
}

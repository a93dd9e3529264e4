/**
 * Every bound the protocol enforces, in one place so PROTOCOL.md, the schemas
 * and the codec cannot drift apart. A value outside these is refused at the boundary.
 */
export const LIMITS = {
  /** Default ceiling of one encoded frame; checked before decoding. */
  MAX_MESSAGE_BYTES: 64 * 1024 * 1024,
  /** Default ceiling of a model reassembled from chunks. */
  MAX_MODEL_BYTES: 512 * 1024 * 1024,
  MAX_CHUNKS: 65_536,
  SITE_NAME_MAX: 64,
  MESSAGE_MAX: 1024,
  /** Metric names, config keys. */
  KEY_MAX: 64,
  METRICS_MAX_ENTRIES: 64,
  CONFIG_MAX_ENTRIES: 64,
  CONFIG_STRING_MAX: 1024,
  COHORT_MAX: 1024,
  NUM_EXAMPLES_MAX: 1e9,
  UINT32_MAX: 0xffff_ffff,
  SESSION_ID_MAX: 128,
  MANIFEST_JSON_MAX: 4 * 1024 * 1024,
  CHALLENGE_BYTES: 32,
  SIGNATURE_BYTES: 64,
  VERSION_MAX: 16,
} as const;

/** Lowercase, starts with a letter or digit; safe in file names, metric labels and logs. */
export const SITE_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
/** A SHA-256 digest as 64 lowercase hex characters (task hashes, weight hashes). */
export const SHA256_HEX_PATTERN = /^[0-9a-f]{64}$/;
/** Envelope ids: 16 random bytes as 32 lowercase hex characters. */
export const MESSAGE_ID_PATTERN = /^[0-9a-f]{32}$/;
/** `ed25519:` then the 32-byte key as 43 unpadded base64url characters (@cohortfl/identity's text form). */
export const PUBLIC_KEY_PATTERN = /^ed25519:[A-Za-z0-9_-]{43}$/;
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]+$/;
/** Metric names and config keys: printable ASCII, not starting with a space. */
export const KEY_PATTERN = /^[!-~][ -~]*$/;
export const VERSION_PATTERN = /^(\d{1,4})\.(\d{1,4})$/;

export function isSiteName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= LIMITS.SITE_NAME_MAX && SITE_NAME_PATTERN.test(value);
}

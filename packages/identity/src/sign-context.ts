import { createHash } from 'node:crypto';
import { CohortError } from '@cohortfl/wire';
import { isBytes } from './bytes.js';

/**
 * One domain per kind of signed statement, so a signature made for one purpose can
 * never be accepted for another (an update signature is not a round-start signature).
 */
export const SIGN_DOMAINS = {
  AUTH: 'cohortfl/v1/auth',
  COORDINATOR_AUTH: 'cohortfl/v1/coordinator-auth',
  STATUS: 'cohortfl/v1/status',
  ROUND_START: 'cohortfl/v1/round-start',
  UPDATE: 'cohortfl/v1/update',
  EVAL: 'cohortfl/v1/eval',
  REFUSE: 'cohortfl/v1/refuse',
  KEYS: 'cohortfl/v1/secagg-keys',
  SURVIVORS: 'cohortfl/v1/secagg-survivors',
  AUDIT: 'cohortfl/v1/audit',
  PROVENANCE: 'cohortfl/v1/provenance',
} as const;

export type SignDomain = (typeof SIGN_DOMAINS)[keyof typeof SIGN_DOMAINS];

/** What a signature is bound to besides the payload itself. */
export interface SignContext {
  domain: SignDomain;
  /** Task manifest hash: 64 lowercase hex characters (32 bytes). */
  taskHash: string;
  /** uint32 */
  round: number;
  /** uint32: retries of a round get a new attempt so old messages cannot be replayed into them. */
  attempt: number;
  site: string;
  phase: string;
  /**
   * The run a round message belongs to (the coordinator's run id as text). Absent for
   * statements outside a run (auth, audit, provenance). When present it is the last field
   * of the digest, so a message signed for one run never verifies in another run of the
   * same task (every run starts again at round 1 attempt 1).
   */
  run?: string;
}

/** Fixed leading tag: keeps these digests apart from any other SHA-512 use of the same key. */
export const SIGNATURE_TAG = new TextEncoder().encode('CohortFL-Signature-v1\0');
export const DIGEST_BYTES = 64;

const TASK_HASH = /^[0-9a-f]{64}$/;
// In a /u regex a well-formed surrogate pair is one code point, so this finds only
// lone surrogates, which UTF-8 would turn into U+FFFD and make two strings collide.
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * The 64-byte message that is Ed25519-signed: SHA-512 over the tag followed by every
 * field as u32 big-endian length || bytes (domain, task hash raw, round, attempt,
 * site, phase, SHA-512 of the payload). Constant size whatever the payload, and no
 * two different contexts share an encoding. Throws MESSAGE_INVALID on a bad context.
 */
export function signingDigest(context: SignContext, payload: Uint8Array): SigningDigest {
  if (!isBytes(payload)) throw invalid('payload must be a Uint8Array');
  return digestOf(preimageOf(context, payload, true));
}

declare const SIGNING_DIGEST: unique symbol;
/**
 * A digest made by `signingDigest`: the only thing `signDigest` signs, so domain separation
 * cannot be skipped by handing it some other 64 bytes (the type says where a digest came from).
 */
export type SigningDigest = Uint8Array & { readonly [SIGNING_DIGEST]: true };

/** The bytes the digest hashes (small: the payload enters as its own SHA-512). Internal. */
export function signingPreimage(context: SignContext, payload: Uint8Array): Uint8Array {
  if (!isBytes(payload)) throw invalid('payload must be a Uint8Array');
  return new Uint8Array(preimageOf(context, payload, true));
}

/** SHA-512 of a payload: the form in which the payload enters the signing digest. */
export function payloadHash(payload: Uint8Array): Uint8Array {
  if (!isBytes(payload)) throw invalid('payload must be a Uint8Array');
  return new Uint8Array(createHash('sha512').update(payload).digest());
}

/**
 * `signingDigest(context, payload)` from the payload's SHA-512 (`payloadHash`) instead of the
 * payload: a record that keeps the 64-byte hash of a signed message and its signature can be
 * checked later without the message. Throws MESSAGE_INVALID on a bad context or hash length.
 */
export function signingDigestFromPayloadHash(context: SignContext, hash: Uint8Array): SigningDigest {
  if (!isBytes(hash, PAYLOAD_HASH_BYTES)) throw invalid(`a payload hash is ${PAYLOAD_HASH_BYTES} bytes (SHA-512)`);
  return digestOf(preimageOf(context, hash, false));
}

const PAYLOAD_HASH_BYTES = 64;
const TASK_HASH_BYTES = 32;
/** The domains' UTF-8 bytes, encoded once. */
const DOMAIN_BYTES: ReadonlyMap<string, Buffer> = new Map(Object.values(SIGN_DOMAINS).map((d) => [d, Buffer.from(d, 'utf8')]));

function digestOf(preimage: Buffer): SigningDigest {
  return new Uint8Array(createHash('sha512').update(preimage).digest()) as SigningDigest;
}

/**
 * The preimage, written field by field into one buffer (no intermediate arrays or encoders):
 * the same bytes as the concatenation the layout above describes. `data` is the payload when
 * `hashData` (its SHA-512 is written), else the 64-byte hash itself. Public data only.
 */
function preimageOf(context: SignContext, data: Uint8Array, hashData: boolean): Buffer {
  if (typeof context !== 'object' || context === null) throw invalid('context must be an object');
  const { domain, taskHash, round, attempt, site, phase, run } = context;
  const domainBytes = typeof domain === 'string' ? DOMAIN_BYTES.get(domain) : undefined;
  if (domainBytes === undefined) throw invalid(`unknown signing domain '${String(domain)}'`);
  if (typeof taskHash !== 'string' || !TASK_HASH.test(taskHash)) throw invalid('taskHash must be 64 lowercase hex characters');
  if (!isUint32(round)) throw invalid(`round must be an integer in [0, 2^32), got ${String(round)}`);
  if (!isUint32(attempt)) throw invalid(`attempt must be an integer in [0, 2^32), got ${String(attempt)}`);
  const siteLength = textLength('site', site);
  const phaseLength = textLength('phase', phase);
  // After the fixed-size hash field, so digests of contexts without a run are unchanged and
  // the two forms cannot be confused (their preimages differ in length and structure).
  const runLength = run === undefined ? -1 : textLength('run', run);
  if (run !== undefined && (runLength === 0 || runLength > 64)) throw invalid('run must be 1 to 64 bytes of text');
  const total =
    SIGNATURE_TAG.length + 4 + domainBytes.length + 4 + TASK_HASH_BYTES + 8 + 8 + 4 + siteLength + 4 + phaseLength + 4 + PAYLOAD_HASH_BYTES + (runLength < 0 ? 0 : 4 + runLength);
  const out = Buffer.allocUnsafe(total);
  out.set(SIGNATURE_TAG, 0);
  let at = SIGNATURE_TAG.length;
  at = out.writeUInt32BE(domainBytes.length, at);
  at += domainBytes.copy(out, at);
  at = out.writeUInt32BE(TASK_HASH_BYTES, at);
  at += out.write(taskHash, at, 'hex');
  at = out.writeUInt32BE(4, at);
  at = out.writeUInt32BE(round, at);
  at = out.writeUInt32BE(4, at);
  at = out.writeUInt32BE(attempt, at);
  at = out.writeUInt32BE(siteLength, at);
  at += out.write(site, at, 'utf8');
  at = out.writeUInt32BE(phaseLength, at);
  at += out.write(phase, at, 'utf8');
  at = out.writeUInt32BE(PAYLOAD_HASH_BYTES, at);
  if (hashData) at += createHash('sha512').update(data).digest().copy(out, at);
  else {
    out.set(data, at);
    at += PAYLOAD_HASH_BYTES;
  }
  if (runLength >= 0) {
    at = out.writeUInt32BE(runLength, at);
    at += out.write(run as string, at, 'utf8');
  }
  if (at !== total) throw invalid('internal: preimage length mismatch');
  return out;
}

/** The UTF-8 length of a text field, refusing what is not a well-formed string. */
function textLength(name: string, value: unknown): number {
  if (typeof value !== 'string') throw invalid(`${name} must be a string`);
  if (LONE_SURROGATE.test(value)) throw invalid(`${name} is not well-formed Unicode (lone surrogate)`);
  return Buffer.byteLength(value, 'utf8');
}

export function isUint32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}

function invalid(why: string): CohortError {
  return new CohortError('MESSAGE_INVALID', `cannot sign or verify: ${why}`);
}


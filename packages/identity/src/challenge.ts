import { randomBytes } from 'node:crypto';
import { CohortError } from '@cohortfl/wire';
import { concatBytes, isBytes } from './bytes.js';
import { SIGN_DOMAINS } from './sign-context.js';
import type { SignContext } from './sign-context.js';
import { signPayload, verifyPayload } from './signature.js';

export const CHALLENGE_BYTES = 32;
/** A site's handshake nonce: 32 bytes from the OS CSPRNG, fresh per connection. */
export const NONCE_BYTES = 32;
/** A channel binding value: 32 bytes of TLS exporter output, or all zero without TLS. */
export const CHANNEL_BINDING_BYTES = 32;
/** The channel binding of a connection without TLS: nothing to bind to. */
export const NO_CHANNEL_BINDING: Uint8Array = new Uint8Array(CHANNEL_BINDING_BYTES);
/** The RFC 5705 / RFC 8446 exporter label both ends use for the handshake's channel binding. */
export const CHANNEL_BINDING_LABEL = 'EXPORTER-CohortFL-handshake-v1';
/** Authentication is not bound to a task or round: zero task hash, round 0, attempt 0. */
const ZERO_TASK_HASH = '0'.repeat(64);
const AUTH_PHASE = 'auth';

/** A fresh 32-byte challenge (or nonce) from the OS CSPRNG; use each one for a single connection. */
export function createChallenge(): Uint8Array {
  return new Uint8Array(randomBytes(CHALLENGE_BYTES));
}

/**
 * What binds one connection's handshake: the site's nonce, the coordinator's challenge,
 * the site's name, and the channel (TLS exporter bytes, or NO_CHANNEL_BINDING).
 */
export interface HandshakeBinding {
  site: string;
  siteNonce: Uint8Array;
  challenge: Uint8Array;
  channelBinding: Uint8Array;
}

/** What a site proves at connect: it holds its key, now, on this channel, to this coordinator, after its proof. */
export interface ChallengeInput extends HandshakeBinding {
  coordinatorPublicKey: Uint8Array;
  /** The coordinator's proof (signCoordinatorProof) the site verified. */
  proof: Uint8Array;
}

/**
 * The coordinator's proof of its key over the site's fresh nonce, its own challenge and the
 * channel: a site that checks it with its pinned key knows a live coordinator answered on
 * this very channel (under TLS, a relay in the middle has another channel and another
 * exporter value, so the proof fails).
 */
export function signCoordinatorProof(secretKey: Uint8Array, binding: HandshakeBinding): Uint8Array {
  const payload = bindingPayload(binding);
  if (payload === undefined) throw malformed();
  return signPayload(secretKey, authContext(binding.site, SIGN_DOMAINS.COORDINATOR_AUTH), payload);
}

/** False for a wrong key, nonce, challenge, site, channel or malformed input; never throws. */
export function verifyCoordinatorProof(publicKey: Uint8Array, binding: HandshakeBinding, proof: Uint8Array): boolean {
  if (typeof binding !== 'object' || binding === null) return false;
  const payload = bindingPayload(binding);
  if (payload === undefined) return false;
  return verifyPayload(publicKey, authContext(binding.site, SIGN_DOMAINS.COORDINATOR_AUTH), payload, proof);
}

/**
 * Signs challenge ‖ coordinator public key ‖ site nonce ‖ coordinator proof ‖ channel binding
 * under the AUTH domain with the site name in the context: the answer cannot be claimed by
 * another site, replayed to another coordinator or connection, or (under TLS) relayed.
 */
export function signChallenge(secretKey: Uint8Array, input: ChallengeInput): Uint8Array {
  const payload = authPayload(input);
  if (payload === undefined) throw malformed();
  return signPayload(secretKey, authContext(input.site, SIGN_DOMAINS.AUTH), payload);
}

/** False for a wrong key, site, challenge, nonce, proof, channel, coordinator or malformed input; never throws. */
export function verifyChallenge(publicKey: Uint8Array, input: ChallengeInput, signature: Uint8Array): boolean {
  if (typeof input !== 'object' || input === null) return false;
  const payload = authPayload(input);
  if (payload === undefined) return false;
  return verifyPayload(publicKey, authContext(input.site, SIGN_DOMAINS.AUTH), payload, signature);
}

function malformed(): CohortError {
  return new CohortError(
    'MESSAGE_INVALID',
    `a handshake needs a ${CHALLENGE_BYTES}-byte challenge, a ${NONCE_BYTES}-byte nonce, a ${CHANNEL_BINDING_BYTES}-byte channel binding, a 64-byte proof, a 32-byte coordinator key and a site name`,
  );
}

function bindingPayload(b: HandshakeBinding): Uint8Array | undefined {
  if (!isBytes(b.challenge, CHALLENGE_BYTES) || !isBytes(b.siteNonce, NONCE_BYTES) || !isBytes(b.channelBinding, CHANNEL_BINDING_BYTES)) return undefined;
  if (typeof b.site !== 'string') return undefined;
  return concatBytes([b.siteNonce, b.challenge, b.channelBinding]);
}

function authPayload(input: ChallengeInput): Uint8Array | undefined {
  if (!isBytes(input.challenge, CHALLENGE_BYTES) || !isBytes(input.coordinatorPublicKey, 32)) return undefined;
  if (!isBytes(input.siteNonce, NONCE_BYTES) || !isBytes(input.proof, 64) || !isBytes(input.channelBinding, CHANNEL_BINDING_BYTES)) return undefined;
  if (typeof input.site !== 'string') return undefined;
  return concatBytes([input.challenge, input.coordinatorPublicKey, input.siteNonce, input.proof, input.channelBinding]);
}

function authContext(site: string, domain: typeof SIGN_DOMAINS.AUTH | typeof SIGN_DOMAINS.COORDINATOR_AUTH): SignContext {
  return { domain, taskHash: ZERO_TASK_HASH, round: 0, attempt: 0, site, phase: AUTH_PHASE };
}

/**
 * The signing context of a site's `status` in one session: bound to that session's
 * challenge (as the task-hash field) and to a sequence number that must grow, so a status
 * can neither be forged by whatever relays the connection nor replayed within it.
 */
export function statusContext(site: string, challenge: Uint8Array, seq: number): SignContext {
  if (!isBytes(challenge, CHALLENGE_BYTES)) throw malformed();
  return { domain: SIGN_DOMAINS.STATUS, taskHash: Buffer.from(challenge).toString('hex'), round: seq, attempt: 0, site, phase: 'status' };
}

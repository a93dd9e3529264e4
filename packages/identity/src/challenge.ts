import { randomBytes } from 'node:crypto';
import { CohortError } from '@cohortfl/wire';
import { concatBytes, isBytes } from './bytes.js';
import { SIGN_DOMAINS } from './sign-context.js';
import type { SignContext } from './sign-context.js';
import { signPayload, verifyPayload } from './signature.js';

export const CHALLENGE_BYTES = 32;
/** Authentication is not bound to a task or round: zero task hash, round 0, attempt 0. */
const ZERO_TASK_HASH = '0'.repeat(64);
const AUTH_PHASE = 'auth';

/** What a site proves at connect: it holds its key, now, and speaks to this coordinator. */
export interface ChallengeInput {
  challenge: Uint8Array;
  site: string;
  coordinatorPublicKey: Uint8Array;
}

/** A fresh 32-byte challenge from the OS CSPRNG; use each one for a single connection. */
export function createChallenge(): Uint8Array {
  return new Uint8Array(randomBytes(CHALLENGE_BYTES));
}

/**
 * Signs challenge || coordinator public key under the AUTH domain with the site name in
 * the context, so a response cannot be relayed to another coordinator or claimed by
 * another site.
 */
export function signChallenge(secretKey: Uint8Array, input: ChallengeInput): Uint8Array {
  const payload = authPayload(input);
  if (payload === undefined) {
    throw new CohortError(
      'MESSAGE_INVALID',
      `an auth challenge is ${CHALLENGE_BYTES} bytes and a coordinator public key 32 bytes; the site name a string`,
    );
  }
  return signPayload(secretKey, authContext(input.site), payload);
}

/** False for a wrong key, site, challenge, coordinator or malformed input; never throws. */
export function verifyChallenge(publicKey: Uint8Array, input: ChallengeInput, signature: Uint8Array): boolean {
  if (typeof input !== 'object' || input === null) return false;
  const payload = authPayload(input);
  if (payload === undefined) return false;
  return verifyPayload(publicKey, authContext(input.site), payload, signature);
}

function authPayload(input: ChallengeInput): Uint8Array | undefined {
  if (!isBytes(input.challenge, CHALLENGE_BYTES) || !isBytes(input.coordinatorPublicKey, 32)) return undefined;
  if (typeof input.site !== 'string') return undefined;
  return concatBytes([input.challenge, input.coordinatorPublicKey]);
}

function authContext(site: string): SignContext {
  return { domain: SIGN_DOMAINS.AUTH, taskHash: ZERO_TASK_HASH, round: 0, attempt: 0, site, phase: AUTH_PHASE };
}

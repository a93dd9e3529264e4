/**
 * Which messages are signed, under which domain and context, and over which
 * bytes: the one place both sides agree on it. The signature covers the
 * message body as packed by the wire codec (`encodeBody`), bound to task hash,
 * round, attempt, site and phase (see @cohortfl/identity for the digest layout).
 * Round announcements are signed by the coordinator with the site field set to
 * `COORDINATOR_SIGNER`; everything a site sends in a round is signed by the site.
 */
import { SIGN_DOMAINS, signPayload, verifyPayload, type SignContext } from '@cohortfl/identity';
import { encodeBody, type Envelope } from '@cohortfl/wire';

export const COORDINATOR_SIGNER = 'coordinator' as const;

export const SIGNED_TYPES = [
  'round/start',
  'update/submit',
  'eval/result',
  'round/refuse',
  'secagg/keys',
  'secagg/roster',
  'secagg/shares',
  'secagg/masked',
  'secagg/unmask',
  'secagg/reveal',
] as const;
export type SignedType = (typeof SIGNED_TYPES)[number];

export function isSignedType(type: string): type is SignedType {
  return (SIGNED_TYPES as readonly string[]).includes(type);
}

/** The signing context of a round message, derived from its own fields. */
export function signingContext(envelope: Envelope): SignContext {
  switch (envelope.type) {
    case 'round/start': {
      const b = envelope.body;
      return { domain: SIGN_DOMAINS.ROUND_START, taskHash: b.taskHash, round: b.round, attempt: b.attempt, site: COORDINATOR_SIGNER, phase: b.phase };
    }
    case 'update/submit': {
      const b = envelope.body;
      return { domain: SIGN_DOMAINS.UPDATE, taskHash: b.taskHash, round: b.round, attempt: b.attempt, site: b.site, phase: 'train' };
    }
    case 'eval/result': {
      const b = envelope.body;
      return { domain: SIGN_DOMAINS.EVAL, taskHash: b.taskHash, round: b.round, attempt: b.attempt, site: b.site, phase: 'evaluate' };
    }
    case 'round/refuse': {
      const b = envelope.body;
      return { domain: SIGN_DOMAINS.REFUSE, taskHash: b.taskHash, round: b.round, attempt: b.attempt, site: b.site, phase: b.phase };
    }
    case 'secagg/keys':
    case 'secagg/shares':
    case 'secagg/reveal': {
      const b = envelope.body;
      return { domain: SIGN_DOMAINS.KEYS, taskHash: b.taskHash, round: b.round, attempt: b.attempt, site: b.site, phase: b.type };
    }
    case 'secagg/masked': {
      const b = envelope.body;
      return { domain: SIGN_DOMAINS.UPDATE, taskHash: b.taskHash, round: b.round, attempt: b.attempt, site: b.site, phase: b.type };
    }
    case 'secagg/roster':
    case 'secagg/unmask': {
      const b = envelope.body;
      return { domain: SIGN_DOMAINS.ROUND_START, taskHash: b.taskHash, round: b.round, attempt: b.attempt, site: COORDINATOR_SIGNER, phase: b.type };
    }
    default:
      throw new TypeError(`${envelope.type} messages are not signed`);
  }
}

/** A copy of the envelope carrying the signature of its body. */
export function signEnvelope<E extends Envelope>(secretKey: Uint8Array, envelope: E): E {
  const sig = signPayload(secretKey, signingContext(envelope), encodeBody(envelope.body));
  return { ...envelope, sig };
}

/** True only for a present signature by `publicKey` over exactly this body and context. Never throws. */
export function verifyEnvelope(publicKey: Uint8Array, envelope: Envelope): boolean {
  if (!isSignedType(envelope.type) || !(envelope.sig instanceof Uint8Array)) return false;
  try {
    return verifyPayload(publicKey, signingContext(envelope), encodeBody(envelope.body), envelope.sig);
  } catch {
    return false;
  }
}

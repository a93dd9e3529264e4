/**
 * Which messages are signed, under which domain and context, and over which
 * bytes: the one place both sides agree on it. The signature covers the
 * message body as packed by the wire codec (`encodeBody`), bound to task hash,
 * round, attempt, site and phase (see @cohortfl/identity for the digest layout).
 * Round announcements are signed by the coordinator with the site field set to
 * `COORDINATOR_SIGNER`; everything a site sends in a round is signed by the site.
 */
import { payloadHash, SIGN_DOMAINS, signDigest, signingDigest, signingDigestFromPayloadHash, verifyDigest, type SignContext, type SigningDigest } from '@cohortfl/identity';
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
  'secagg/survivors',
  'secagg/attest',
  'secagg/unmask',
  'secagg/reveal',
] as const;
export type SignedType = (typeof SIGNED_TYPES)[number];

export function isSignedType(type: string): type is SignedType {
  return (SIGNED_TYPES as readonly string[]).includes(type);
}

/** A run id as it enters a signing context; null or undefined: none. */
export type RunRef = number | string | null | undefined;

/**
 * The signing context of a round message, derived from its own fields and the run it
 * belongs to. A `round/start` names its run in its signed config (`runId`); every other
 * round message is bound to the run of the `round/start` it answers or follows, which the
 * signer and the verifier pass as `run`. A message with a run verifies only in that run.
 */
export function signingContext(envelope: Envelope, run?: RunRef): SignContext {
  const own = envelope.type === 'round/start' ? envelope.body.config['runId'] : run;
  const context = baseContext(envelope);
  return own === undefined || own === null || typeof own === 'boolean' ? context : { ...context, run: String(own) };
}

function baseContext(envelope: Envelope): SignContext {
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
    case 'secagg/attest':
    case 'secagg/reveal': {
      const b = envelope.body;
      return { domain: SIGN_DOMAINS.KEYS, taskHash: b.taskHash, round: b.round, attempt: b.attempt, site: b.site, phase: b.type };
    }
    case 'secagg/masked': {
      const b = envelope.body;
      return { domain: SIGN_DOMAINS.UPDATE, taskHash: b.taskHash, round: b.round, attempt: b.attempt, site: b.site, phase: b.type };
    }
    case 'secagg/roster':
    case 'secagg/survivors':
    case 'secagg/unmask': {
      const b = envelope.body;
      return { domain: SIGN_DOMAINS.ROUND_START, taskHash: b.taskHash, round: b.round, attempt: b.attempt, site: COORDINATOR_SIGNER, phase: b.type };
    }
    default:
      throw new TypeError(`${envelope.type} messages are not signed`);
  }
}

/**
 * The 64-byte digest a signed message's signature covers: its context and its body's bytes.
 * `received`: the body's bytes as they arrived in the frame (Codec.decodeReceived), hashed as
 * they are; without it the body is packed (`encodeBody`), as the sender does.
 */
export function envelopeDigest(envelope: Envelope, run?: RunRef, received?: Uint8Array): SigningDigest {
  return signingDigest(signingContext(envelope, run), received ?? encodeBody(envelope.body));
}

/**
 * A copy of the envelope carrying the signature of its body, and the digest signed: the
 * value replay guards and audit records key on, so a large body is packed and hashed once.
 */
export function signEnvelopeDigest<E extends Envelope>(secretKey: Uint8Array, envelope: E, run?: RunRef): { envelope: E; digest: SigningDigest } {
  const digest = envelopeDigest(envelope, run);
  return { envelope: { ...envelope, sig: signDigest(secretKey, digest) }, digest };
}

/** A copy of the envelope carrying the signature of its body. */
export function signEnvelope<E extends Envelope>(secretKey: Uint8Array, envelope: E, run?: RunRef): E {
  return signEnvelopeDigest(secretKey, envelope, run).envelope;
}

/**
 * The digest a present, valid signature by `publicKey` covers (computed from this very
 * envelope), or undefined when the signature is missing or does not verify. Never throws.
 */
export function verifiedDigest(publicKey: Uint8Array, envelope: Envelope, run?: RunRef, received?: Uint8Array): SigningDigest | undefined {
  if (!isSignedType(envelope.type) || !(envelope.sig instanceof Uint8Array)) return undefined;
  try {
    const digest = envelopeDigest(envelope, run, received);
    return verifyDigest(publicKey, digest, envelope.sig) ? digest : undefined;
  } catch {
    return undefined;
  }
}

/** True only for a present signature by `publicKey` over exactly this body and context. Never throws. */
export function verifyEnvelope(publicKey: Uint8Array, envelope: Envelope, run?: RunRef, received?: Uint8Array): boolean {
  return verifiedDigest(publicKey, envelope, run, received) !== undefined;
}

/**
 * `verifiedDigest` that also returns the SHA-512 of the body bytes (the form in which the body
 * enters the digest), for a record that keeps it: the body is hashed once. Never throws.
 */
export function verifiedSignature(
  publicKey: Uint8Array,
  envelope: Envelope,
  run?: RunRef,
  received?: Uint8Array,
): { digest: SigningDigest; bodyHash: Uint8Array } | undefined {
  if (!isSignedType(envelope.type) || !(envelope.sig instanceof Uint8Array)) return undefined;
  try {
    const bodyHash = payloadHash(received ?? encodeBody(envelope.body));
    const digest = signingDigestFromPayloadHash(signingContext(envelope, run), bodyHash);
    return verifyDigest(publicKey, digest, envelope.sig) ? { digest, bodyHash } : undefined;
  } catch {
    return undefined;
  }
}

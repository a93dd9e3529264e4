/** Building the site's answers: signed envelopes around SiteRunner's messages, and refusals made outside it. */
import { signEnvelopeDigest, type RunRef } from '@cohortfl/protocol';
import { createEnvelope, LIMITS, parseEnvelope, type Envelope, type RoundRefuse, type RoundStart, type SiteMessage, type WireError } from '@cohortfl/wire';

/** A wire error whose message fits the protocol's limit. */
export function fitWireError(error: WireError): WireError {
  const message = error.message.length > LIMITS.MESSAGE_MAX ? `${error.message.slice(0, LIMITS.MESSAGE_MAX - 1)}…` : error.message;
  return { code: error.code, message: message.length > 0 ? message : error.code };
}

export function refusalFor(start: RoundStart, site: string, error: WireError): RoundRefuse {
  return {
    type: 'round/refuse',
    taskHash: start.taskHash,
    round: start.round,
    attempt: start.attempt,
    site,
    phase: start.phase,
    error: fitWireError(error),
  };
}

/**
 * The reply in its envelope, signed with the site's key (protocol signEnvelope:
 * domain, task, round, attempt, site and phase bound). The body is signed as
 * parsed, so its keys are in schema order: exactly the bytes the coordinator
 * re-encodes from what it decodes. Throws the wire's refusal for a body the
 * coordinator would refuse (e.g. a non-finite update).
 */
export function signedReply(secretKey: Uint8Array, reply: SiteMessage, run?: RunRef): Envelope {
  return signedReplyDigest(secretKey, reply, run).envelope;
}

/** signedReply, and the digest its signature covers (what the site's record keeps). */
export function signedReplyDigest(secretKey: Uint8Array, reply: SiteMessage, run?: RunRef): { envelope: Envelope; digest: Uint8Array } {
  const body = reply.type === 'round/refuse' ? { ...reply, error: fitWireError(reply.error) } : reply;
  const envelope = createEnvelope(reply.type, body as never) as Envelope;
  return signEnvelopeDigest(secretKey, parseEnvelope(envelope), run);
}

import { describe, expect, it } from 'vitest';
import { generateIdentity, signingDigest, verifyDigest } from '@cohortfl/identity';
import { createCodec, createEnvelope, encodeBody, type Envelope } from '@cohortfl/wire';
import { envelopeDigest, signEnvelope, signEnvelopeDigest, signingContext, verifiedDigest, verifyEnvelope } from './signed-envelope.js';

const TASK = 'e'.repeat(64);
const site = generateIdentity();
const other = generateIdentity();
const update = () =>
  createEnvelope('update/submit', { type: 'update/submit', taskHash: TASK, round: 2, attempt: 1, site: 'st-marys', update: new Float32Array([0.5, -1.25]), numExamples: 40, metrics: { loss: 0.4 } });

describe('signed envelopes', () => {
  it('verify after a trip through the codec, with the signer key only', () => {
    const codec = createCodec();
    const signed = signEnvelope(site.secretKey, update());
    const received = codec.decode(codec.encode(signed));
    expect(verifyEnvelope(site.publicKey, received)).toBe(true);
    expect(verifyEnvelope(other.publicKey, received)).toBe(false);
  });

  it('fail for any change of the body, the binding fields or the signature', () => {
    const signed = signEnvelope(site.secretKey, update()) as Extract<Envelope, { type: 'update/submit' }>;
    const changes: Array<(e: typeof signed) => typeof signed> = [
      (e) => ({ ...e, body: { ...e.body, round: 3 } }),
      (e) => ({ ...e, body: { ...e.body, attempt: 2 } }),
      (e) => ({ ...e, body: { ...e.body, site: 'northgate' } }),
      (e) => ({ ...e, body: { ...e.body, taskHash: 'f'.repeat(64) } }),
      (e) => ({ ...e, body: { ...e.body, numExamples: 4000 } }),
      (e) => ({ ...e, body: { ...e.body, update: new Float32Array([0.5, -1.5]) } }),
      (e) => ({ ...e, sig: Uint8Array.from(e.sig!, (b, i) => (i === 10 ? b ^ 1 : b)) }),
      (e) => ({ ...e, sig: undefined }),
      (e) => ({ ...e, sig: new Uint8Array(10) }),
    ];
    expect(verifyEnvelope(site.publicKey, signed)).toBe(true);
    for (const change of changes) expect(verifyEnvelope(site.publicKey, change(signed))).toBe(false);
  });

  it('hand out the digest the signature covers, the same on both sides, once it verifies', () => {
    const codec = createCodec();
    const { envelope, digest } = signEnvelopeDigest(site.secretKey, update());
    expect(digest).toEqual(signingDigest(signingContext(envelope), encodeBody(envelope.body)));
    expect(verifyDigest(site.publicKey, digest, envelope.sig!)).toBe(true);
    const received = codec.decode(codec.encode(envelope));
    expect(verifiedDigest(site.publicKey, received)).toEqual(digest);
    expect(envelopeDigest(received)).toEqual(digest);
    // No digest for a signature that does not verify, whatever the reason.
    expect(verifiedDigest(other.publicKey, received)).toBeUndefined();
    expect(verifiedDigest(site.publicKey, { ...received, body: { ...(received.body as object), round: 3 } } as Envelope)).toBeUndefined();
    expect(verifiedDigest(site.publicKey, { ...received, sig: undefined })).toBeUndefined();
    // A digest signed for one message is not a signature of another digest.
    expect(verifyDigest(site.publicKey, envelopeDigest({ ...received, body: { ...(received.body as object), round: 3 } } as Envelope), envelope.sig!)).toBe(false);
    expect(verifyDigest(site.publicKey, digest.subarray(0, 32), envelope.sig!)).toBe(false);
  });

  it('does not let a signature move between message kinds', () => {
    const signed = signEnvelope(site.secretKey, update());
    const b = signed.body;
    const asEval = { ...createEnvelope('eval/result', { type: 'eval/result', taskHash: b.taskHash, round: b.round, attempt: b.attempt, site: b.site, numExamples: b.numExamples, metrics: b.metrics }), sig: signed.sig };
    expect(verifyEnvelope(site.publicKey, asEval)).toBe(false);
  });

  it('treats unsigned message kinds as unverifiable', () => {
    const hello = createEnvelope('status', { ready: true });
    expect(verifyEnvelope(site.publicKey, { ...hello, sig: new Uint8Array(64) })).toBe(false);
    expect(() => signEnvelope(site.secretKey, hello)).toThrow(/not signed/);
  });
});

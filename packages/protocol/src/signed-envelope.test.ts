import { describe, expect, it } from 'vitest';
import { generateIdentity, signingDigest, verifyDigest } from '@cohortfl/identity';
import { createCodec, createEnvelope, encodeBody, type Envelope } from '@cohortfl/wire';
import { envelopeDigest, signEnvelope, signEnvelopeDigest, signingContext, verifiedDigest, verifiedSignature, verifyEnvelope } from './signed-envelope.js';
import { payloadHash } from '@cohortfl/identity';

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

  it('verify over the body bytes as received, to the same digest as packing the body again', () => {
    const codec = createCodec();
    const { envelope, digest } = signEnvelopeDigest(site.secretKey, update());
    const frame = codec.encode(envelope);
    const { envelope: received, body } = codec.decodeReceived(frame);
    expect(verifiedDigest(site.publicKey, received, undefined, body)).toEqual(digest);
    expect(verifiedDigest(site.publicKey, received)).toEqual(digest);
    const both = verifiedSignature(site.publicKey, received, undefined, body)!;
    expect(both.digest).toEqual(digest);
    expect(both.bodyHash).toEqual(payloadHash(encodeBody(received.body)));
    expect(verifiedSignature(other.publicKey, received, undefined, body)).toBeUndefined();
  });

  it('fail when any byte of the received body changes, even where the decoded body stays valid', () => {
    const codec = createCodec();
    const signed = signEnvelope(site.secretKey, update());
    const frame = codec.encode(signed);
    const { body } = codec.decodeReceived(frame);
    const at = frame.indexOf(body[0]!, body.byteOffset - frame.byteOffset); // where the body starts in the frame
    expect(at).toBe(body.byteOffset - frame.byteOffset);
    // Every byte of the update's float data, one at a time: the frame still decodes, the signature fails.
    const floats = Buffer.from(frame).indexOf(Buffer.from(new Float32Array([0.5, -1.25]).buffer));
    expect(floats).toBeGreaterThan(at);
    for (let i = floats; i < floats + 8; i++) {
      const tampered = Uint8Array.from(frame);
      tampered[i]! ^= 0x01;
      const r = codec.decodeReceived(tampered);
      expect(verifiedDigest(site.publicKey, r.envelope, undefined, r.body)).toBeUndefined();
    }
    // The same values written with a wider integer (round as uint32, not fixint): the decoded body is
    // identical, but the bytes are not the ones signed, so the signature does not cover them.
    const roundKey = Buffer.from(frame).indexOf(Buffer.from([0xa5, ...Buffer.from('round'), 0x02]));
    expect(roundKey).toBeGreaterThan(at);
    const wider = Uint8Array.from([...frame.subarray(0, roundKey + 6), 0xce, 0, 0, 0, 2, ...frame.subarray(roundKey + 7)]);
    const r = codec.decodeReceived(wider);
    expect(r.envelope.body).toEqual(codec.decode(frame).body);
    expect(verifiedDigest(site.publicKey, r.envelope, undefined, r.body)).toBeUndefined();
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

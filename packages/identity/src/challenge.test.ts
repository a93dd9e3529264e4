import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { createChallenge, NO_CHANNEL_BINDING, signChallenge, signCoordinatorProof, statusContext, verifyChallenge, verifyCoordinatorProof } from './challenge.js';
import { identityFromSeed } from './keys.js';
import { SIGN_DOMAINS } from './sign-context.js';
import { signPayload } from './signature.js';

const seeded = (start: number) => identityFromSeed(Uint8Array.from({ length: 32 }, (_, i) => (start + i) & 0xff));
const site = seeded(1);
const coordinator = seeded(2);
const otherCoordinator = seeded(3);
const impostor = seeded(4);
const challenge = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);
const siteNonce = Uint8Array.from({ length: 32 }, (_, i) => i * 3);
const channelBinding = Uint8Array.from({ length: 32 }, (_, i) => 7 * i + 1);
const binding = { site: 'hospital-a', siteNonce, challenge, channelBinding };
const proof = signCoordinatorProof(coordinator.secretKey, binding);
const input = { challenge, site: 'hospital-a', coordinatorPublicKey: coordinator.publicKey, siteNonce, proof, channelBinding };

describe('challenge-response authentication', () => {
  const response = signChallenge(site.secretKey, input);

  it('creates fresh 32-byte challenges', () => {
    const a = createChallenge();
    const b = createChallenge();
    expect(a.length).toBe(32);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('verifies the response for the same challenge, site and coordinator', () => {
    expect(response.length).toBe(64);
    expect(verifyChallenge(site.publicKey, input, response)).toBe(true);
  });

  it('fails for another coordinator key (a relayed response)', () => {
    expect(verifyChallenge(site.publicKey, { ...input, coordinatorPublicKey: otherCoordinator.publicKey }, response)).toBe(false);
  });

  it('fails for another site name, another challenge, or another signer', () => {
    expect(verifyChallenge(site.publicKey, { ...input, site: 'hospital-b' }, response)).toBe(false);
    const changed = new Uint8Array(challenge);
    changed[31] = changed[31]! ^ 0x80;
    expect(verifyChallenge(site.publicKey, { ...input, challenge: changed }, response)).toBe(false);
    expect(verifyChallenge(impostor.publicKey, input, response)).toBe(false);
    expect(verifyChallenge(site.publicKey, input, signChallenge(impostor.secretKey, input))).toBe(false);
  });

  it('binds the answer to the site\'s nonce, the coordinator\'s proof and the channel', () => {
    const flip = (bytes: Uint8Array) => Uint8Array.from(bytes, (b, i) => (i === 0 ? b ^ 1 : b));
    expect(verifyChallenge(site.publicKey, { ...input, siteNonce: flip(siteNonce) }, response)).toBe(false);
    expect(verifyChallenge(site.publicKey, { ...input, proof: flip(proof) }, response)).toBe(false);
    // A relay has its own channel (another TLS exporter value): the answer does not verify on it.
    expect(verifyChallenge(site.publicKey, { ...input, channelBinding: NO_CHANNEL_BINDING }, response)).toBe(false);
  });

  it('the coordinator\'s proof verifies only with its key, for this nonce, challenge, site and channel', () => {
    expect(verifyCoordinatorProof(coordinator.publicKey, binding, proof)).toBe(true);
    expect(verifyCoordinatorProof(otherCoordinator.publicKey, binding, proof)).toBe(false);
    expect(verifyCoordinatorProof(coordinator.publicKey, { ...binding, siteNonce: new Uint8Array(32) }, proof)).toBe(false);
    expect(verifyCoordinatorProof(coordinator.publicKey, { ...binding, site: 'hospital-b' }, proof)).toBe(false);
    expect(verifyCoordinatorProof(coordinator.publicKey, { ...binding, channelBinding: NO_CHANNEL_BINDING }, proof)).toBe(false);
    // A site's auth answer is no coordinator proof (separate domains), even over its own bytes.
    expect(verifyCoordinatorProof(coordinator.publicKey, binding, signChallenge(coordinator.secretKey, input))).toBe(false);
    expect(verifyCoordinatorProof(coordinator.publicKey, null as never, proof)).toBe(false);
  });

  it('a status context is bound to the session challenge and the sequence number', () => {
    const a = statusContext('hospital-a', challenge, 1);
    expect(a.taskHash).toBe(Buffer.from(challenge).toString('hex'));
    expect(a.round).toBe(1);
    expect(a.domain).toBe(SIGN_DOMAINS.STATUS);
  });

  it('does not accept a signature over the same bytes made for another domain', () => {
    const payload = new Uint8Array([...challenge, ...coordinator.publicKey, ...siteNonce, ...proof, ...channelBinding]);
    const context = { taskHash: '0'.repeat(64), round: 0, attempt: 0, site: 'hospital-a', phase: 'auth' };
    expect(verifyChallenge(site.publicKey, input, signPayload(site.secretKey, { ...context, domain: SIGN_DOMAINS.UPDATE }, payload))).toBe(false);
    // The same call with the AUTH domain is exactly what signChallenge produces.
    expect(verifyChallenge(site.publicKey, input, signPayload(site.secretKey, { ...context, domain: SIGN_DOMAINS.AUTH }, payload))).toBe(true);
  });

  it('returns false, never throws, for malformed input from the network', () => {
    const cases: unknown[] = [
      { ...input, challenge: challenge.subarray(0, 31) },
      { ...input, challenge: new Uint8Array(33) },
      { ...input, challenge: 'abc' },
      { ...input, coordinatorPublicKey: coordinator.publicKey.subarray(1) },
      { ...input, site: 5 },
      { ...input, site: '\uD800' },
      null,
      'input',
    ];
    for (const bad of cases) expect(verifyChallenge(site.publicKey, bad as typeof input, response)).toBe(false);
    expect(verifyChallenge(site.publicKey.subarray(0, 16), input, response)).toBe(false);
    expect(verifyChallenge(site.publicKey, input, response.subarray(0, 63))).toBe(false);
    expect(verifyChallenge(site.publicKey, input, 'sig' as unknown as Uint8Array)).toBe(false);
  });

  it('refuses to sign a malformed challenge', () => {
    try {
      signChallenge(site.secretKey, { ...input, challenge: new Uint8Array(16) });
      expect.unreachable('a 16-byte challenge must be refused');
    } catch (error) {
      expect(isCohortError(error, 'MESSAGE_INVALID')).toBe(true);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { createChallenge, signChallenge, verifyChallenge } from './challenge.js';
import { identityFromSeed } from './keys.js';
import { SIGN_DOMAINS } from './sign-context.js';
import { signPayload } from './signature.js';

const seeded = (start: number) => identityFromSeed(Uint8Array.from({ length: 32 }, (_, i) => (start + i) & 0xff));
const site = seeded(1);
const coordinator = seeded(2);
const otherCoordinator = seeded(3);
const impostor = seeded(4);
const challenge = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);
const input = { challenge, site: 'hospital-a', coordinatorPublicKey: coordinator.publicKey };

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

  it('does not accept a signature over the same bytes made for another domain', () => {
    const payload = new Uint8Array([...challenge, ...coordinator.publicKey]);
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

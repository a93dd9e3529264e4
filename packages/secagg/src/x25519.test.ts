import { describe, expect, it } from 'vitest';
import nacl from 'tweetnacl';
import { createAgreement, generateKeyPair, publicKeyOf } from './x25519.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

// Points of order 1, 2, 4 and 8 on Curve25519 and their non-canonical encodings (u ≥ p):
// each gives an all-zero shared secret whatever the secret key.
const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

describe('X25519 key pairs from node:crypto', () => {
  it('are the key pairs nacl.box would make from the same secret key, fresh each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 64; i++) {
      const pair = generateKeyPair();
      expect(pair.secretKey.length).toBe(32);
      expect(pair.publicKey.length).toBe(32);
      expect(hex(pair.publicKey)).toBe(hex(nacl.box.keyPair.fromSecretKey(pair.secretKey).publicKey));
      expect(hex(publicKeyOf(pair.secretKey))).toBe(hex(pair.publicKey));
      seen.add(hex(pair.secretKey));
    }
    expect(seen.size).toBe(64);
  });

  it('interoperate with nacl.box: boxKey equals nacl.box.before, and a box sealed with it opens with nacl', () => {
    for (let i = 0; i < 16; i++) {
      const mine = generateKeyPair();
      const theirs = i % 2 === 0 ? nacl.box.keyPair() : generateKeyPair();
      const key = createAgreement(mine.secretKey).boxKey(theirs.publicKey, 'peer');
      expect(hex(key)).toBe(hex(nacl.box.before(theirs.publicKey, mine.secretKey)));
      const nonce = nacl.randomBytes(24);
      const sealed = nacl.box.after(new Uint8Array([1, 2, 3, i]), nonce, key);
      expect(nacl.box.open(sealed, nonce, mine.publicKey, theirs.secretKey)).toEqual(new Uint8Array([1, 2, 3, i]));
      // The agreement is symmetric and equals nacl's scalar multiplication.
      const shared = createAgreement(mine.secretKey).shared(theirs.publicKey, 'peer');
      expect(hex(shared)).toBe(hex(createAgreement(theirs.secretKey).shared(mine.publicKey, 'me')));
      expect(hex(shared)).toBe(hex(nacl.scalarMult(mine.secretKey, theirs.publicKey)));
    }
  });

  it('refuse low-order and malformed peer keys in agreements', () => {
    const agreement = createAgreement(generateKeyPair().secretKey);
    for (const point of LOW_ORDER) {
      const key = new Uint8Array(Buffer.from(point, 'hex'));
      expect(() => agreement.shared(key, 'peer'), point).toThrow(/low-order/);
      key[31]! |= 0x80; // the ignored top bit set: the same point
      expect(() => agreement.shared(key, 'peer'), `${point} with bit 255`).toThrow(/low-order/);
    }
    expect(() => agreement.shared(new Uint8Array(31), 'peer')).toThrow(/32 bytes/);
    expect(() => createAgreement(new Uint8Array(33))).toThrow(/32 bytes/);
  });
});

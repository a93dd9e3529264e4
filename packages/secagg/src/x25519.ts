import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import nacl from 'tweetnacl';
import { bytesEqual, isBytes, wipe } from './bytes.js';
import { invalid } from './fail.js';
import { SIZES } from './vocabulary.js';

/**
 * X25519 on raw 32-byte keys, in node:crypto (OpenSSL): key generation and the
 * agreements, several times faster than tweetnacl's, which matters with one
 * agreement per neighbour per key. The keys are nacl.box's (a secret key is 32
 * random bytes, clamped when used), so nacl.box opens what boxKey's key seals.
 * Importing a raw secret key (createAgreement) goes through PKCS#8 DER, which costs
 * ~0.4 ms in Node 20; that is once per key.
 * OpenSSL refuses a low-order peer key (all-zero shared secret), and so do we.
 */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const ZERO_KEY = new Uint8Array(SIZES.KEY);
/** "expand 32-byte k": the HSalsa20 constant nacl.box uses to turn a shared point into a key. */
const SIGMA = new Uint8Array([101, 120, 112, 97, 110, 100, 32, 51, 50, 45, 98, 121, 116, 101, 32, 107]);

type HSalsa20 = (out: Uint8Array, input: Uint8Array, key: Uint8Array, constant: Uint8Array) => number;
const hsalsa20 = (nacl as unknown as { lowlevel?: { crypto_core_hsalsa20?: HSalsa20 } }).lowlevel?.crypto_core_hsalsa20;

export interface Agreement {
  /** X25519(secret, peer) as 32 bytes; MESSAGE_INVALID for a malformed or low-order peer key. */
  shared(peerPublicKey: Uint8Array, peer: string): Uint8Array;
  /** nacl.box.before(peer, secret), computed from the same agreement. */
  boxKey(peerPublicKey: Uint8Array, peer: string): Uint8Array;
}

function privateKeyObject(secretKey: Uint8Array): KeyObject {
  if (!isBytes(secretKey, SIZES.KEY)) throw invalid('an X25519 secret key must be 32 bytes');
  const der = Buffer.concat([PKCS8_PREFIX, secretKey]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    wipe(der);
  }
}

export function createAgreement(secretKey: Uint8Array): Agreement {
  const privateKey = privateKeyObject(secretKey);
  const shared = (peerPublicKey: Uint8Array, peer: string): Uint8Array => {
    if (!isBytes(peerPublicKey, SIZES.KEY)) throw invalid(`site '${peer}': an X25519 public key must be 32 bytes`);
    let secret: Uint8Array;
    try {
      // JWK import of a public key is about ten times cheaper than DER in Node 20.
      const x = Buffer.from(peerPublicKey.buffer, peerPublicKey.byteOffset, peerPublicKey.byteLength).toString('base64url');
      const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
      secret = new Uint8Array(diffieHellman({ privateKey, publicKey }));
    } catch (cause) {
      throw invalid(`site '${peer}': X25519 public key refused (low-order or malformed point)`, { cause: String(cause) });
    }
    if (bytesEqual(secret, ZERO_KEY)) throw invalid(`site '${peer}': X25519 public key is a low-order point`);
    return secret;
  };
  return {
    shared,
    boxKey(peerPublicKey, peer) {
      const point = shared(peerPublicKey, peer);
      const key = new Uint8Array(SIZES.KEY);
      if (hsalsa20 === undefined) {
        wipe(point);
        return nacl.box.before(peerPublicKey, secretKey);
      }
      hsalsa20(key, new Uint8Array(16), point, SIGMA);
      wipe(point);
      return key;
    },
  };
}

/**
 * A fresh key pair, as nacl.box.keyPair makes it (32 random bytes as the secret key), from
 * OpenSSL's generator: about 0.1 ms, where importing raw bytes as a PKCS#8 key alone costs
 * several times that in Node 20. The secret leaves OpenSSL once, in a PKCS#8 DER buffer that
 * is wiped after its 32 bytes are copied into the returned array.
 */
export function generateKeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const pair = generateKeyPairSync('x25519');
  const der = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
  const secretKey = new Uint8Array(SIZES.KEY);
  try {
    if (der.length !== PKCS8_PREFIX.length + SIZES.KEY || !bytesEqual(der.subarray(0, PKCS8_PREFIX.length), PKCS8_PREFIX)) {
      throw invalid('X25519 key generation: unexpected PKCS#8 encoding from node:crypto');
    }
    secretKey.set(der.subarray(PKCS8_PREFIX.length));
  } finally {
    wipe(der);
  }
  const { x } = pair.publicKey.export({ format: 'jwk' });
  const publicKey = new Uint8Array(Buffer.from(x ?? '', 'base64url'));
  // A clamped scalar times the base point is never a low-order point; this guards the export.
  if (publicKey.length !== SIZES.KEY || bytesEqual(publicKey, ZERO_KEY)) {
    wipe(secretKey);
    throw invalid('X25519 key generation produced a malformed public key');
  }
  return { publicKey, secretKey };
}

/** The public key of a 32-byte X25519 secret key. */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  const spki = createPublicKey(privateKeyObject(secretKey)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
}

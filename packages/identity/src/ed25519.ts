/**
 * The two Ed25519 implementations behind signature.ts and keys.ts, with byte-identical
 * outputs (Ed25519 signing is deterministic, RFC 8032 §5.1.6):
 *
 * - `node`: node:crypto (OpenSSL). About 100× faster than tweetnacl: signing ~30 µs and
 *   verifying ~70–100 µs, against milliseconds in pure JS. Used whenever the running
 *   node:crypto has Ed25519 and passes a known-answer self-test at load.
 * - `tweetnacl`: pure JS, the portable implementation, and the oracle the tests compare
 *   the `node` one against. Selected automatically when node:crypto lacks Ed25519, and
 *   explicitly with `setEd25519Implementation('tweetnacl')`.
 *
 * These functions take keys already checked by the caller and do no policy checks of
 * their own: canonical S, small-order and non-canonical keys are refused in
 * signature.ts, the same way for both implementations.
 */
import { createHash, createPrivateKey, createPublicKey, randomFillSync, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import nacl from 'tweetnacl';
import { CohortError } from '@cohortfl/wire';
import { bytesEqual } from './bytes.js';

export type Ed25519Name = 'node' | 'tweetnacl';

interface Ed25519Impl {
  readonly name: Ed25519Name;
  /** The 32-byte public key of a 32-byte seed. */
  publicKeyOf(seed: Uint8Array): Uint8Array;
  /** Detached signature with a 64-byte secret key (seed || public key) that signature.ts checked and prepared. */
  sign(secretKey: Uint8Array, message: Uint8Array, prepared: PreparedKey): Uint8Array;
  /** Plain RFC 8032 verification (as each library does it); may throw on malformed input. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

// DER headers of a raw Ed25519 key (RFC 8410): PKCS#8 OneAsymmetricKey with the 32-byte
// seed as CurvePrivateKey, and SubjectPublicKeyInfo with the 32-byte public key.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX_BYTES = 12;

/** The PKCS#8 DER is built in a buffer of its own (not Node's shared pool) and wiped after the import. */
function privateKeyObject(seed: Uint8Array): KeyObject {
  const der = Buffer.alloc(PKCS8_PREFIX.length + 32);
  try {
    PKCS8_PREFIX.copy(der, 0);
    der.set(seed.subarray(0, 32), PKCS8_PREFIX.length);
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

function publicOfKeyObject(privateKey: KeyObject): Uint8Array {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(SPKI_PREFIX_BYTES));
}

/**
 * KeyObjects of secret keys, keyed by the caller's key array: the KeyObject is the only
 * other long-lived form of the secret. With it, the SHA-256 of the array's bytes when the
 * KeyObject was made: an array whose bytes changed since gets a new KeyObject (and a new
 * check in signature.ts) instead of signing with the old key.
 */
export interface PreparedKey {
  readonly fingerprint: Uint8Array;
  keyObject?: KeyObject;
}
const preparedKeys = new WeakMap<Uint8Array, PreparedKey>();

/** The fingerprint of a secret key's bytes (SHA-256: it reveals nothing of the key). */
export function keyFingerprint(secretKey: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(secretKey).digest());
}

/** The prepared state of a key array whose current bytes were checked, or undefined. */
export function preparedKey(secretKey: Uint8Array, fingerprint: Uint8Array): PreparedKey | undefined {
  const seen = preparedKeys.get(secretKey);
  return seen !== undefined && bytesEqual(seen.fingerprint, fingerprint) ? seen : undefined;
}

/** Records that the key array with these bytes passed the key-pair check. */
export function rememberKey(secretKey: Uint8Array, fingerprint: Uint8Array): PreparedKey {
  const entry: PreparedKey = { fingerprint };
  preparedKeys.set(secretKey, entry);
  return entry;
}

/**
 * Public KeyObjects of the keys verified most recently (a coordinator verifies every
 * site's messages; an audit log carries two keys). Bounded: the least recently used key
 * leaves when it is full. Importing a key costs about as much as a verification.
 */
const PUBLIC_CACHE_SIZE = 1024;
const publicKeys = new Map<string, KeyObject>();

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const x = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('base64url');
  const cached = publicKeys.get(x);
  if (cached !== undefined) {
    publicKeys.delete(x);
    publicKeys.set(x, cached);
    return cached;
  }
  // JWK import of a raw public key is several times cheaper than SPKI DER in Node 20.
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  if (publicKeys.size >= PUBLIC_CACHE_SIZE) publicKeys.delete(publicKeys.keys().next().value as string);
  publicKeys.set(x, key);
  return key;
}

const nodeImpl: Ed25519Impl = {
  name: 'node',
  publicKeyOf(seed) {
    return publicOfKeyObject(privateKeyObject(seed));
  },
  sign(secretKey, message, prepared) {
    prepared.keyObject ??= privateKeyObject(secretKey);
    return new Uint8Array(cryptoSign(null, message, prepared.keyObject));
  },
  verify(publicKey, message, signature) {
    return cryptoVerify(null, message, publicKeyObject(publicKey), signature);
  },
};

const naclImpl: Ed25519Impl = {
  name: 'tweetnacl',
  publicKeyOf(seed) {
    return nacl.sign.keyPair.fromSeed(seed).publicKey;
  },
  sign(secretKey, message) {
    return nacl.sign.detached(message, secretKey);
  },
  verify(publicKey, message, signature) {
    return nacl.sign.detached.verify(message, signature, publicKey);
  },
};

const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

/**
 * Known-answer test of node:crypto's Ed25519: RFC 8032 §7.1 TEST 2 (one-byte message).
 * Any failure (no Ed25519 in this OpenSSL, a wrong answer) leaves tweetnacl in charge.
 */
function nodeWorks(): boolean {
  try {
    const seed = hex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb');
    const publicKey = hex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
    const signature = hex(
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    );
    const message = hex('72');
    const privateKey = privateKeyObject(seed);
    return (
      bytesEqual(publicOfKeyObject(privateKey), publicKey) &&
      bytesEqual(new Uint8Array(cryptoSign(null, message, privateKey)), signature) &&
      cryptoVerify(null, message, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' }), signature) &&
      !cryptoVerify(null, hex('73'), createPublicKey(privateKey), signature)
    );
  } catch {
    return false;
  }
}

const NODE_AVAILABLE = nodeWorks();
let active: Ed25519Impl = NODE_AVAILABLE ? nodeImpl : naclImpl;

/** The implementation in use. */
export function ed25519(): Ed25519Impl {
  return active;
}

/** The name of the Ed25519 implementation signing and verifying in this process. */
export function ed25519Implementation(): Ed25519Name {
  return active.name;
}

/**
 * Chooses the Ed25519 implementation: 'node' (node:crypto; CONFIG_INVALID where it has no
 * working Ed25519), 'tweetnacl' (pure JS, e.g. to compare, or where node:crypto is partial),
 * or 'auto' (the default: node when it works). Signatures are the same bytes either way.
 * Returns the implementation now in use.
 */
export function setEd25519Implementation(name: Ed25519Name | 'auto'): Ed25519Name {
  if (name === 'node') {
    if (!NODE_AVAILABLE) throw new CohortError('CONFIG_INVALID', "node:crypto has no working Ed25519 here; use 'tweetnacl' or 'auto'");
    active = nodeImpl;
  } else if (name === 'tweetnacl') {
    active = naclImpl;
  } else if (name === 'auto') {
    active = NODE_AVAILABLE ? nodeImpl : naclImpl;
  } else {
    throw new CohortError('CONFIG_INVALID', `unknown Ed25519 implementation '${String(name)}' (node, tweetnacl or auto)`);
  }
  return active.name;
}

/** A 64-byte secret key (seed || public key) from a fresh 32-byte seed of the CSPRNG. */
export function generateSecretKey(): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const secretKey = new Uint8Array(64);
  randomFillSync(secretKey, 0, 32);
  const publicKey = active.publicKeyOf(secretKey.subarray(0, 32));
  secretKey.set(publicKey, 32);
  return { publicKey, secretKey };
}

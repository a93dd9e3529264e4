/**
 * The two Ed25519 implementations (ed25519.ts) against each other: byte-identical keys and
 * signatures, each verifying the other's, the RFC 8032 vectors on both, and every class of
 * bad input refused by both through verifyDigest / verifyPayload.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import nacl from 'tweetnacl';
import { ed25519, ed25519Implementation, keyFingerprint, rememberKey, setEd25519Implementation, type Ed25519Name } from './ed25519.js';
import { generateIdentity, identityFromSeed } from './keys.js';
import { SIGN_DOMAINS, signingDigest, type SignContext } from './sign-context.js';
import { signDigest, signPayload, verifyDigest, verifyPayload } from './signature.js';

const IMPLEMENTATIONS: readonly Ed25519Name[] = ['node', 'tweetnacl'];
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

/** Deterministic bytes: SHA-512 in counter mode over a label, so every run tests the same keys and messages. */
function seededBytes(label: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let block = 0; block * 64 < length; block++) {
    const chunk = createHash('sha512').update(`${label}/${block}`).digest();
    out.set(chunk.subarray(0, Math.min(64, length - block * 64)), block * 64);
  }
  return out;
}

/** Runs fn with each implementation in turn; returns their results by name. */
function onBoth<T>(fn: (name: Ed25519Name) => T): Record<Ed25519Name, T> {
  const out = {} as Record<Ed25519Name, T>;
  for (const name of IMPLEMENTATIONS) {
    setEd25519Implementation(name);
    out[name] = fn(name);
  }
  setEd25519Implementation('auto');
  return out;
}

/** The raw RFC 8032 signature of a message (no signing digest) by the implementation in use. */
function rawSign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519().sign(secretKey, message, rememberKey(secretKey, keyFingerprint(secretKey)));
}

afterEach(() => {
  setEd25519Implementation('auto');
});

const context: SignContext = { domain: SIGN_DOMAINS.UPDATE, taskHash: 'ab'.repeat(32), round: 3, attempt: 1, site: 'hospital-a', phase: 'train', run: '7' };

describe('Ed25519 implementations', () => {
  it('uses node:crypto by default where it has Ed25519, and can be switched', () => {
    expect(ed25519Implementation()).toBe('node');
    expect(setEd25519Implementation('tweetnacl')).toBe('tweetnacl');
    expect(ed25519Implementation()).toBe('tweetnacl');
    expect(setEd25519Implementation('auto')).toBe('node');
    expect(() => setEd25519Implementation('openssl' as Ed25519Name)).toThrow(/unknown Ed25519 implementation/);
    expect(ed25519Implementation()).toBe('node');
  });

  // RFC 8032 section 7.1 (Test Vectors for Ed25519): TEST 1, TEST 2, TEST 3 and TEST SHA(abc).
  const RFC8032 = [
    {
      name: 'TEST 1',
      secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
      public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
      message: '',
      signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    },
    {
      name: 'TEST 2',
      secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
      public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
      message: '72',
      signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    },
    {
      name: 'TEST 3',
      secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
      public: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
      message: 'af82',
      signature: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
    },
    {
      name: 'TEST SHA(abc)',
      secret: '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42',
      public: 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
      message: createHash('sha512').update('abc').digest('hex'),
      signature: 'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704',
    },
  ];

  it.each(IMPLEMENTATIONS)('passes the RFC 8032 section 7.1 test vectors (%s)', (name) => {
    setEd25519Implementation(name);
    for (const v of RFC8032) {
      const pair = identityFromSeed(fromHex(v.secret));
      expect(hex(pair.publicKey), v.name).toBe(v.public);
      const message = fromHex(v.message);
      expect(hex(rawSign(pair.secretKey, message)), v.name).toBe(v.signature);
      expect(ed25519().verify(pair.publicKey, message, fromHex(v.signature)), v.name).toBe(true);
      const other = new Uint8Array(message.length + 1);
      other.set(message);
      expect(ed25519().verify(pair.publicKey, other, fromHex(v.signature)), v.name).toBe(false);
    }
  });

  it('gives byte-identical keys and signatures for 128 seeded keys and messages, each verifying the other\'s', () => {
    for (let i = 0; i < 128; i++) {
      const seed = seededBytes(`interop/seed/${i}`, 32);
      const message = seededBytes(`interop/message/${i}`, (i * 37) % 300);
      const results = onBoth(() => {
        const pair = identityFromSeed(seed);
        return { pair, raw: rawSign(pair.secretKey, message), payload: signPayload(pair.secretKey, context, message) };
      });
      expect(hex(results.node.pair.secretKey)).toBe(hex(results.tweetnacl.pair.secretKey));
      expect(hex(results.node.raw), `key ${i}`).toBe(hex(results.tweetnacl.raw));
      expect(hex(results.node.payload), `key ${i}`).toBe(hex(results.tweetnacl.payload));
      expect(hex(results.node.raw)).toBe(hex(nacl.sign.detached(message, results.node.pair.secretKey)));
      // Each implementation verifies the signature the other made.
      const verdicts = onBoth((name) => {
        const theirs = name === 'node' ? results.tweetnacl : results.node;
        return ed25519().verify(theirs.pair.publicKey, message, theirs.raw) && verifyPayload(theirs.pair.publicKey, context, message, theirs.payload);
      });
      expect(verdicts).toEqual({ node: true, tweetnacl: true });
    }
  });

  it('generates fresh key pairs that work with both implementations', () => {
    const pairs = onBoth(() => [generateIdentity(), generateIdentity()]);
    const all = [...pairs.node, ...pairs.tweetnacl];
    expect(new Set(all.map((p) => hex(p.secretKey))).size).toBe(4);
    for (const pair of all) {
      expect(hex(nacl.sign.keyPair.fromSeed(pair.secretKey.subarray(0, 32)).secretKey)).toBe(hex(pair.secretKey));
      const sigs = onBoth(() => signPayload(pair.secretKey, context, new Uint8Array([1, 2, 3])));
      expect(hex(sigs.node)).toBe(hex(sigs.tweetnacl));
      expect(onBoth(() => verifyPayload(pair.publicKey, context, new Uint8Array([1, 2, 3]), sigs.node))).toEqual({ node: true, tweetnacl: true });
    }
  });
});

describe('bad signatures are refused by both implementations', () => {
  const ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;
  const toLe = (value: bigint): Uint8Array => {
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++) {
      out[i] = Number(value & 0xffn);
      value >>= 8n;
    }
    return out;
  };
  const fromLe = (bytes: Uint8Array): bigint => {
    let n = 0n;
    for (let i = 31; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
    return n;
  };
  const signer = identityFromSeed(seededBytes('edge/signer', 32));
  const digest = signingDigest(context, new Uint8Array([9, 9, 9]));
  const good = signDigest(signer.secretKey, digest);
  const withS = (s: bigint): Uint8Array => {
    const out = new Uint8Array(good);
    out.set(toLe(s), 32);
    return out;
  };
  const bothRefuse = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, what: string): void => {
    expect(onBoth(() => verifyDigest(publicKey, message, signature)), what).toEqual({ node: false, tweetnacl: false });
  };

  it('accepts the good signature on both (the cases below differ from it in one way each)', () => {
    expect(onBoth(() => verifyDigest(signer.publicKey, digest, good))).toEqual({ node: true, tweetnacl: true });
  });

  it('refuses non-canonical S (S + L, S + 2L, S = L, S with the top bits set)', () => {
    const s = fromLe(good.subarray(32));
    // Plain tweetnacl accepts S + L: the check in signature.ts is what refuses it.
    expect(nacl.sign.detached.verify(digest, withS(s + ORDER), signer.publicKey)).toBe(true);
    for (const [what, sig] of [
      ['S + L', withS(s + ORDER)],
      ['S + 2L', withS(s + 2n * ORDER)],
      ['S = L', withS(ORDER)],
      ['S = 2^256 - 1', withS(2n ** 256n - 1n)],
      ['S with bit 255 set', withS(s + 2n ** 255n)],
    ] as const) {
      bothRefuse(signer.publicKey, digest, sig, what);
    }
  });

  /**
   * A forgery under a small-order public key A: R = [a]B for a known scalar a and S = a mod L
   * satisfy [S]B = R + [h]A for every message whenever [h]A is the identity (always for
   * A = identity), and both libraries accept some of them on their own.
   */
  const forgerySeed = seededBytes('edge/forgery', 32);
  const forgedR = nacl.sign.keyPair.fromSeed(forgerySeed).publicKey;
  const clamped = createHash('sha512').update(forgerySeed).digest().subarray(0, 32);
  clamped[0]! &= 248;
  clamped[31]! &= 127;
  clamped[31]! |= 64;
  const forged = new Uint8Array(64);
  forged.set(forgedR, 0);
  forged.set(toLe(fromLe(clamped) % ORDER), 32);

  const SMALL_ORDER: Record<string, string> = {
    'identity (0, 1)': '0100000000000000000000000000000000000000000000000000000000000000',
    'identity with the sign bit': '0100000000000000000000000000000000000000000000000000000000000080',
    'identity, non-canonical y = p + 1': 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'order 2 (0, -1)': 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'order 2 with the sign bit': 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'order 4, y = 0': '0000000000000000000000000000000000000000000000000000000000000000',
    'order 4, y = 0, sign bit': '0000000000000000000000000000000000000000000000000000000000000080',
    'order 4, non-canonical y = p': 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'order 8': 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    'order 8, sign bit': 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
    'order 8 (-y)': '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
    'order 8 (-y), sign bit': '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  };

  it('refuses small-order and non-canonical public keys, whose forgeries plain verification accepts', () => {
    // The forgery is real: both libraries on their own accept it under the identity key.
    const identityKey = fromHex(SMALL_ORDER['identity (0, 1)']!);
    expect(nacl.sign.detached.verify(digest, forged, identityKey)).toBe(true);
    setEd25519Implementation('node');
    expect(ed25519().verify(identityKey, digest, forged)).toBe(true);
    for (const [what, key] of Object.entries(SMALL_ORDER)) {
      bothRefuse(fromHex(key), digest, forged, what);
      bothRefuse(fromHex(key), digest, good, what);
    }
    // Other non-canonical encodings (y ≥ p) and the all-zero key.
    for (let extra = 0; extra < 19; extra++) {
      const y = toLe(2n ** 255n - 19n + BigInt(extra));
      bothRefuse(y, digest, forged, `y = p + ${extra}`);
      y[31]! |= 0x80;
      bothRefuse(y, digest, forged, `y = p + ${extra}, sign bit`);
    }
    bothRefuse(new Uint8Array(32), digest, new Uint8Array(64), 'all-zero key and signature');
  });

  it('refuses a small-order R', () => {
    for (const [what, point] of Object.entries(SMALL_ORDER)) {
      const sig = new Uint8Array(good);
      sig.set(fromHex(point), 0);
      bothRefuse(signer.publicKey, digest, sig, `R = ${what}`);
    }
  });

  it('refuses wrong lengths and types without throwing', () => {
    const cases: Array<[string, unknown, unknown, unknown]> = [
      ['key 31 bytes', signer.publicKey.subarray(0, 31), digest, good],
      ['key 33 bytes', new Uint8Array([...signer.publicKey, 0]), digest, good],
      ['key 64 bytes (a secret key)', signer.secretKey, digest, good],
      ['signature 63 bytes', signer.publicKey, digest, good.subarray(0, 63)],
      ['signature 65 bytes', signer.publicKey, digest, new Uint8Array([...good, 0])],
      ['digest 63 bytes', signer.publicKey, digest.subarray(0, 63), good],
      ['digest 65 bytes', signer.publicKey, new Uint8Array([...digest, 0]), good],
      ['key as text', hex(signer.publicKey), digest, good],
      ['signature as an array', signer.publicKey, digest, [...good]],
      ['null digest', signer.publicKey, null, good],
    ];
    for (const [what, key, message, sig] of cases) {
      bothRefuse(key as Uint8Array, message as Uint8Array, sig as Uint8Array, what);
    }
  });

  it('refuses every single-bit flip of a sampled bit in each byte of key, R, S and digest', () => {
    for (let byte = 0; byte < 64; byte++) {
      const bit = 1 << (byte % 8);
      const sig = new Uint8Array(good);
      sig[byte]! ^= bit;
      bothRefuse(signer.publicKey, digest, sig, `signature byte ${byte}`);
      const message = new Uint8Array(digest);
      message[byte]! ^= bit;
      bothRefuse(signer.publicKey, message, good, `digest byte ${byte}`);
      if (byte < 32) {
        const key = new Uint8Array(signer.publicKey);
        key[byte]! ^= 1 << ((byte + 3) % 8);
        bothRefuse(key, digest, good, `key byte ${byte}`);
      }
    }
  });

  it('refuses the good signature under random 32-byte strings as keys (points on the curve or not)', () => {
    for (let i = 0; i < 40; i++) bothRefuse(seededBytes(`edge/random-key/${i}`, 32), digest, good, `random key ${i}`);
  });
});

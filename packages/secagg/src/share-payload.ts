import nacl from 'tweetnacl';
import { encodeContext, type RoundContext } from './context.js';
import { bytesEqual, concatBytes, encodeSite, encodeTag, isBytes, sha256 } from './bytes.js';
import { invalid } from './fail.js';
import { decodeShare, encodeShare, type ShamirShare } from './shamir.js';
import { DOMAINS, SIZES } from './vocabulary.js';

/**
 * The encrypted message carrying one site's two shares to one neighbour. The
 * plaintext is fixed-size and names its round, sender and recipient, so a
 * ciphertext relayed to the wrong site, from the wrong site or into another round
 * is refused even before the nacl.box keys (fresh per round) would refuse it.
 *
 *   plaintext (298) = SHA-256(tag || context) 32 || from 65 || to 65 || b-share 68 || s-share 68
 *   ciphertext (338) = nonce 24 || nacl.box(plaintext, nonce, cPk_to, cSk_from) 314
 */
export interface SharePair {
  b: ShamirShare;
  s: ShamirShare;
}

export interface ShareAddress {
  context: RoundContext;
  from: string;
  to: string;
}

const SHARE_TAG = encodeTag(DOMAINS.SHARE);

function contextDigest(context: RoundContext): Uint8Array {
  return sha256([SHARE_TAG, encodeContext(context)]);
}

/** Encrypts with a nacl.box shared key (box.before) and a fresh random nonce. */
export function encryptShares(boxKey: Uint8Array, address: ShareAddress, shares: SharePair): Uint8Array {
  const plaintext = concatBytes([
    contextDigest(address.context),
    encodeSite(address.from),
    encodeSite(address.to),
    encodeShare(shares.b),
    encodeShare(shares.s),
  ]);
  const nonce = nacl.randomBytes(SIZES.NONCE);
  const sealed = nacl.box.after(plaintext, nonce, boxKey);
  plaintext.fill(0);
  const out = concatBytes([nonce, sealed]);
  if (out.length !== SIZES.ENCRYPTED_SHARE) throw invalid('encrypted share has an unexpected size');
  return out;
}

/** Decrypts and checks the address; MESSAGE_INVALID on any failure. */
export function decryptShares(boxKey: Uint8Array, ciphertext: Uint8Array, address: ShareAddress): SharePair {
  if (!isBytes(ciphertext, SIZES.ENCRYPTED_SHARE)) {
    throw invalid(`encrypted share from '${address.from}' must be ${SIZES.ENCRYPTED_SHARE} bytes`);
  }
  const plaintext = nacl.box.open.after(ciphertext.subarray(SIZES.NONCE), ciphertext.subarray(0, SIZES.NONCE), boxKey);
  if (plaintext === null) throw invalid(`encrypted share from '${address.from}' failed to decrypt (tampered or wrong keys)`);
  try {
    if (plaintext.length !== SIZES.SHARE_PLAINTEXT) throw invalid(`share plaintext from '${address.from}' has a wrong size`);
    let offset = 0;
    const take = (length: number): Uint8Array => plaintext.subarray(offset, (offset += length));
    if (!bytesEqual(take(32), contextDigest(address.context))) {
      throw invalid(`share from '${address.from}' belongs to another round or attempt`);
    }
    if (!bytesEqual(take(SIZES.SITE), encodeSite(address.from))) throw invalid(`share relayed as from '${address.from}' names another sender`);
    if (!bytesEqual(take(SIZES.SITE), encodeSite(address.to))) throw invalid(`share from '${address.from}' is addressed to another site`);
    return { b: decodeShare(take(SIZES.SHARE)), s: decodeShare(take(SIZES.SHARE)) };
  } finally {
    plaintext.fill(0);
  }
}

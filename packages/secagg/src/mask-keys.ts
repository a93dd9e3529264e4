import { encodeContext, type RoundContext } from './context.js';
import { bytesEqual, encodeSite, encodeTag, isBytes, sha256 } from './bytes.js';
import { invalid } from './fail.js';
import { DOMAINS, SIZES } from './vocabulary.js';

const SELF_TAG = encodeTag(DOMAINS.SELF_MASK);
const PAIR_TAG = encodeTag(DOMAINS.PAIR_MASK);

/**
 * ChaCha20 key of a site's self mask: SHA-256(tag || context || site || b). The
 * domain tag keeps it apart from every pairwise key even for equal 32-byte inputs.
 */
export function selfMaskKey(context: RoundContext, site: string, seed: Uint8Array): Uint8Array {
  if (!isBytes(seed, SIZES.SECRET)) throw invalid('a self-mask seed must be 32 bytes');
  return sha256([SELF_TAG, encodeContext(context), encodeSite(site), seed]);
}

/**
 * ChaCha20 key of the mask shared by two sites: SHA-256(tag || context || lower
 * site || higher site || X25519 shared secret). Sorting makes both ends derive the
 * same key; the names bind it to this pair, the context to this round and attempt.
 */
export function pairMaskKey(context: RoundContext, a: string, b: string, sharedSecret: Uint8Array): Uint8Array {
  if (a === b) throw invalid('a pairwise mask needs two different sites');
  if (!isBytes(sharedSecret, SIZES.KEY)) throw invalid('an X25519 shared secret must be 32 bytes');
  if (bytesEqual(sharedSecret, new Uint8Array(SIZES.KEY))) throw invalid('the X25519 shared secret is all zeros');
  const [low, high] = a < b ? [a, b] : [b, a];
  return sha256([PAIR_TAG, encodeContext(context), encodeSite(low), encodeSite(high), sharedSecret]);
}

/** The sign with which `site` adds the mask it shares with `peer`: + for the lower name. */
export function pairSign(site: string, peer: string): 1 | -1 {
  return site < peer ? 1 : -1;
}

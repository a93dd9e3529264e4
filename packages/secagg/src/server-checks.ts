import { randomBytes } from 'node:crypto';
import { bytesEqual, isBytes } from './bytes.js';
import { invalid } from './fail.js';
import { decodeShare, type ShamirShare } from './shamir.js';
import type { EncryptedShare, KeyAdvertisement, Reveal } from './types.js';
import { createAgreement, type Agreement } from './x25519.js';
import { SIZES, type RevealKind } from './vocabulary.js';

let probe: Agreement | undefined;

/**
 * Refuses malformed, reused or low-order advertised keys, so one bad site cannot
 * make every honest site fail at shareKeys. A clamped X25519 scalar is a multiple
 * of 8, so agreement with a random scalar yields zero exactly for low-order points.
 */
export function checkAdvertisedKeys(site: string, keys: KeyAdvertisement, existing: ReadonlyMap<string, KeyAdvertisement>): void {
  if (typeof keys !== 'object' || keys === null || !isBytes(keys.cPk, SIZES.KEY) || !isBytes(keys.sPk, SIZES.KEY)) {
    throw invalid(`advertisement from '${site}' must carry two 32-byte keys`);
  }
  if (bytesEqual(keys.cPk, keys.sPk)) throw invalid(`advertisement from '${site}' uses one key for both purposes`);
  for (const [other, known] of existing) {
    for (const key of [keys.cPk, keys.sPk]) {
      if (bytesEqual(key, known.cPk) || bytesEqual(key, known.sPk)) throw invalid(`advertisement from '${site}' reuses a key of '${other}'`);
    }
  }
  probe ??= createAgreement(new Uint8Array(randomBytes(SIZES.KEY)));
  probe.shared(keys.cPk, site);
  probe.shared(keys.sPk, site);
}

/** Exactly one 338-byte ciphertext from `site` to each of its neighbours. */
export function checkShareList(site: string, list: readonly EncryptedShare[], neighbours: readonly string[]): EncryptedShare[] {
  if (!Array.isArray(list)) throw invalid(`shares from '${site}' must be an array`);
  const wanted = new Set(neighbours);
  const seen = new Set<string>();
  const out: EncryptedShare[] = [];
  for (const item of list) {
    const to: unknown = item?.to;
    if (item?.from !== site) throw invalid(`share list from '${site}' contains a share from another site`);
    if (typeof to !== 'string' || !wanted.has(to)) throw invalid(`share from '${site}' addressed to '${String(to).slice(0, 80)}', which is not its neighbour`);
    if (seen.has(to)) throw invalid(`two shares from '${site}' to '${to}'`);
    if (!isBytes(item.ciphertext, SIZES.ENCRYPTED_SHARE)) throw invalid(`share from '${site}' to '${to}' must be ${SIZES.ENCRYPTED_SHARE} bytes`);
    seen.add(to);
    out.push({ from: site, to, ciphertext: Uint8Array.from(item.ciphertext) });
  }
  if (seen.size !== wanted.size) throw invalid(`shares from '${site}': ${seen.size} given, one for each of its ${wanted.size} neighbours expected`);
  return out;
}

/** Exactly the expected reveal for each owner, each a well-formed share at the revealer's x. */
export function checkReveals(
  site: string,
  reveals: readonly Reveal[],
  expected: ReadonlyMap<string, RevealKind>,
  x: number,
): { owner: string; kind: RevealKind; share: ShamirShare }[] {
  if (!Array.isArray(reveals)) throw invalid(`reveals from '${site}' must be an array`);
  const out: { owner: string; kind: RevealKind; share: ShamirShare }[] = [];
  const seen = new Set<string>();
  for (const item of reveals) {
    const owner: unknown = item?.owner;
    const kind = typeof owner === 'string' ? expected.get(owner) : undefined;
    if (typeof owner !== 'string' || kind === undefined) throw invalid(`'${site}' revealed a share of '${String(owner).slice(0, 80)}', which it does not hold for this round`);
    if (seen.has(owner)) throw invalid(`'${site}' revealed two shares of '${owner}'`);
    if (item.kind !== kind) throw invalid(`'${site}' revealed the '${String(item.kind)}' share of '${owner}', expected its '${kind}' share`);
    const share = decodeShare(item.share);
    if (share.x !== x) throw invalid(`'${site}' revealed a share of '${owner}' at another site's x-coordinate`);
    seen.add(owner);
    out.push({ owner, kind, share });
  }
  if (seen.size !== expected.size) throw invalid(`'${site}' revealed ${seen.size} shares, ${expected.size} expected`);
  return out;
}

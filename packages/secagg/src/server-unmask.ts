import type { RoundContext } from './context.js';
import { bytesEqual, wipe } from './bytes.js';
import { aborted } from './fail.js';
import type { NeighbourGraph } from './graph.js';
import { pairMaskKey, pairSign, selfMaskKey } from './mask-keys.js';
import { applyMasks } from './prg.js';
import type { Roster } from './roster.js';
import { combine, type ShamirShare } from './shamir.js';
import { createAgreement, publicKeyOf } from './x25519.js';

export interface UnmaskInputs {
  context: RoundContext;
  roster: Roster;
  graph: NeighbourGraph;
  threshold: number;
  /** U3: sites whose masked input is in the sum. */
  survivors: readonly string[];
  /** U2 \ U3: sites that sent shares but no masked input. */
  dropped: readonly string[];
  bShares: ReadonlyMap<string, ShamirShare[]>;
  sShares: ReadonlyMap<string, ShamirShare[]>;
}

function reconstruct(shares: ShamirShare[] | undefined, threshold: number, what: string): Uint8Array {
  const list = shares ?? [];
  if (list.length < threshold) throw aborted(`${what}: ${list.length} shares revealed, threshold is ${threshold}`);
  try {
    return combine(list, threshold);
  } catch (cause) {
    throw aborted(`${what}: revealed shares are inconsistent (${(cause as Error).message})`);
  }
}

/**
 * Turns the sum of masked inputs into the sum of inputs, in place: removes each
 * survivor's self mask (from its reconstructed seed b) and, for each dropped site,
 * the pairwise masks its surviving neighbours added (from its reconstructed mask
 * key, checked against the key it advertised). Throws SECAGG_ABORTED if any secret
 * cannot be reconstructed.
 */
export function unmaskSum(sum: Uint32Array, inputs: UnmaskInputs): void {
  const { context, roster, graph, threshold } = inputs;
  const alive = new Set(inputs.survivors);
  const selfKeys: Uint8Array[] = [];
  const pairKeys: { key: Uint8Array; sign: 1 | -1 }[] = [];
  try {
    for (const site of inputs.survivors) {
      const seed = reconstruct(inputs.bShares.get(site), threshold, `self-mask seed of '${site}'`);
      selfKeys.push(selfMaskKey(context, site, seed));
      wipe(seed);
    }
    for (const site of inputs.dropped) {
      const neighbours = graph.neighbours(site).filter((peer) => alive.has(peer));
      if (neighbours.length === 0) continue;
      const secretKey = reconstruct(inputs.sShares.get(site), threshold, `mask key of dropped site '${site}'`);
      if (!bytesEqual(publicKeyOf(secretKey), roster.entry(site).sPk)) {
        wipe(secretKey);
        throw aborted(`mask key of dropped site '${site}': reconstructed key does not match its advertised key`);
      }
      const agreement = createAgreement(secretKey);
      wipe(secretKey);
      for (const peer of neighbours) {
        const shared = agreement.shared(roster.entry(peer).sPk, peer);
        pairKeys.push({ key: pairMaskKey(context, peer, site, shared), sign: pairSign(peer, site) });
        wipe(shared);
      }
    }
    // Only touch the sum once every secret is known, so an abort leaves it as it was.
    applyMasks(sum, [
      ...selfKeys.map((key) => ({ key, sign: -1 as const })),
      ...pairKeys.map(({ key, sign }) => ({ key, sign: sign === 1 ? (-1 as const) : (1 as const) })),
    ]);
  } finally {
    wipe(...selfKeys, ...pairKeys.map((p) => p.key));
  }
}

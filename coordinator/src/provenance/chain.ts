/**
 * The checkpoint hash chain: each round's link commits to the link before it, so a
 * round removed, reordered or changed after the fact breaks every later link.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '@cohortfl/wire';

/** `prev` of round 1's link. */
export const PROVENANCE_GENESIS_HASH = '0'.repeat(64);

export interface ChainLinkInput {
  round: number;
  attempt: number;
  checkpointSha256: string;
  trained: readonly string[];
}

/** SHA-256 hex of canonicalJson({ prev, round, attempt, checkpointSha256, trained }). */
export function chainHash(prev: string, link: ChainLinkInput): string {
  const { round, attempt, checkpointSha256, trained } = link;
  return createHash('sha256').update(canonicalJson({ prev, round, attempt, checkpointSha256, trained: [...trained] }), 'utf8').digest('hex');
}

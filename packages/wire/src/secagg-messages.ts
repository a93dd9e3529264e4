/**
 * Secure aggregation messages (SecAgg+ family). A train phase with secure
 * aggregation replaces the plaintext `update/submit` by four exchanges:
 *   site  → secagg/keys    two fresh X25519 keys, signed by the site's identity
 *   coord → secagg/roster  every cohort member's keys and signatures (signed)
 *   site  → secagg/shares  Shamir shares for each neighbour, each boxed to it
 *   coord → secagg/relay   the boxes addressed to this site
 *   site  → secagg/masked  the quantized, masked update (Z_2^32)
 *   coord → secagg/unmask  who survived and who dropped (signed)
 *   site  → secagg/reveal  the shares that remove exactly the right masks
 */
export interface SecAggKeys {
  type: 'secagg/keys';
  taskHash: string;
  round: number;
  attempt: number;
  site: string;
  cPk: Uint8Array;
  sPk: Uint8Array;
  /** Ed25519 signature by the site's identity over the advertisement bytes (see PROTOCOL.md §12). */
  keySig: Uint8Array;
}

export interface SecAggRosterEntry {
  site: string;
  cPk: Uint8Array;
  sPk: Uint8Array;
  keySig: Uint8Array;
  /** The site's enrolled identity key (`ed25519:…`), so peers can check `keySig`. */
  identityKey: string;
}

export interface SecAggRoster {
  type: 'secagg/roster';
  taskHash: string;
  round: number;
  attempt: number;
  threshold: number;
  /** 0 for the full graph, else the degree k of the k-regular neighbour graph. */
  degree: number;
  roster: SecAggRosterEntry[];
}

export interface SecAggShares {
  type: 'secagg/shares';
  taskHash: string;
  round: number;
  attempt: number;
  site: string;
  shares: { to: string; ciphertext: Uint8Array }[];
}

export interface SecAggRelay {
  type: 'secagg/relay';
  taskHash: string;
  round: number;
  attempt: number;
  shares: { from: string; ciphertext: Uint8Array }[];
}

export interface SecAggMasked {
  type: 'secagg/masked';
  taskHash: string;
  round: number;
  attempt: number;
  site: string;
  masked: Uint32Array;
}

export interface SecAggUnmask {
  type: 'secagg/unmask';
  taskHash: string;
  round: number;
  attempt: number;
  survivors: string[];
  dropped: string[];
}

export interface SecAggReveal {
  type: 'secagg/reveal';
  taskHash: string;
  round: number;
  attempt: number;
  site: string;
  reveals: { owner: string; kind: 'b' | 's'; share: Uint8Array }[];
}

export type SecAggSiteMessage = SecAggKeys | SecAggShares | SecAggMasked | SecAggReveal;
export type SecAggCoordinatorMessage = SecAggRoster | SecAggRelay | SecAggUnmask;

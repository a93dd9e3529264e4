/**
 * Secure aggregation messages (SecAgg+ family). A train phase with secure
 * aggregation replaces the plaintext `update/submit` by four exchanges:
 *   site  → secagg/keys    two fresh X25519 keys, signed by the site's identity
 *   coord → secagg/roster  every cohort member's keys and signatures (signed)
 *   site  → secagg/shares  Shamir shares for each neighbour, each boxed to it
 *   coord → secagg/relay   the boxes addressed to this site
 *   site  → secagg/masked  the quantized, masked update (Z_2^32)
 *   coord → secagg/survivors  who survived and who dropped (signed)
 *   site  → secagg/attest  the site's identity signature over that survivor set
 *   coord → secagg/unmask  the same sets, with every attestation collected (signed)
 *   site  → secagg/reveal  the shares that remove exactly the right masks, sent only
 *                          after enough holders' attestations verified
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
  /** Colluding sites the threshold tolerates (2·threshold > holders + colluders). */
  colluders: number;
  /** SHA-256 (hex) of the consortium membership the neighbour graph is drawn over. */
  membership: string;
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

export interface SecAggSurvivors {
  type: 'secagg/survivors';
  taskHash: string;
  round: number;
  attempt: number;
  survivors: string[];
  dropped: string[];
}

export interface SecAggAttest {
  type: 'secagg/attest';
  taskHash: string;
  round: number;
  attempt: number;
  site: string;
  /** Ed25519 signature by the site's identity over the survivor-set bytes (PROTOCOL.md §12). */
  sig: Uint8Array;
}

export interface SecAggAttestation {
  site: string;
  sig: Uint8Array;
}

export interface SecAggUnmask {
  type: 'secagg/unmask';
  taskHash: string;
  round: number;
  attempt: number;
  survivors: string[];
  dropped: string[];
  /** Every survivor's signature over (round, roster, survivors, dropped) the coordinator collected. */
  attestations: SecAggAttestation[];
}

export interface SecAggReveal {
  type: 'secagg/reveal';
  taskHash: string;
  round: number;
  attempt: number;
  site: string;
  reveals: { owner: string; kind: 'b' | 's'; share: Uint8Array }[];
}

export type SecAggSiteMessage = SecAggKeys | SecAggShares | SecAggMasked | SecAggAttest | SecAggReveal;
export type SecAggCoordinatorMessage = SecAggRoster | SecAggRelay | SecAggSurvivors | SecAggUnmask;

import type { GraphSpec } from './graph.js';
import type { RevealKind } from './vocabulary.js';

/** A site's two fresh X25519 public keys for one round attempt. */
export interface KeyAdvertisement {
  /** Encrypts the shares sent to this site (nacl.box). */
  cPk: Uint8Array;
  /** Agrees the pairwise masks (X25519). */
  sPk: Uint8Array;
}

export interface RosterEntry extends KeyAdvertisement {
  site: string;
}

export interface SecAggConfig {
  /** Shares needed to reconstruct a secret, and the fewest sites whose sum may be revealed (≥ 2). */
  threshold: number;
  graph: GraphSpec;
  /**
   * Colluding sites tolerated (default 0). A survivor set must carry signatures from
   * at least `threshold` holders of an owner's shares before any of them is revealed,
   * and 2·threshold > holders + colluders, so two different survivor sets can never
   * both gather enough signatures, even with that many colluders signing both.
   */
  colluders?: number;
}

/** One site's shares for one neighbour, as the site hands them to the coordinator. */
export interface EncryptedShare {
  from: string;
  to: string;
  /** 338 bytes: nonce || nacl.box(plaintext). */
  ciphertext: Uint8Array;
}

/** A share as the coordinator relays it to its recipient. */
export interface ReceivedShare {
  from: string;
  ciphertext: Uint8Array;
}

/** Who survived to send a masked input, and who sent shares but no masked input. */
export interface UnmaskRequest {
  survivors: string[];
  dropped: string[];
}

/** One share a site reveals at unmasking: `kind` 'b' for a survivor, 's' for a dropped site. */
export interface Reveal {
  owner: string;
  kind: RevealKind;
  /** 68 bytes: u16be x (the revealing site's) || 66-byte field element. */
  share: Uint8Array;
}

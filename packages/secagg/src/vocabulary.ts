/**
 * The one vocabulary of the secure-aggregation protocol, shared by the client and
 * the server: stage names, legal transitions, domain tags and fixed byte sizes.
 */

/** Site-side stages, in order; 'aborted' is terminal and reachable from any stage. */
export const CLIENT_STAGES = ['init', 'advertised', 'shared', 'masked', 'attested', 'unmasked', 'aborted'] as const;
export type ClientStage = (typeof CLIENT_STAGES)[number];

/** Coordinator-side stages, in order; 'done' and 'aborted' are terminal. */
export const SERVER_STAGES = ['collect-keys', 'collect-shares', 'collect-masked', 'collect-attest', 'collect-unmask', 'done', 'aborted'] as const;
export type ServerStage = (typeof SERVER_STAGES)[number];

/** Which client step is legal in which stage, and where it leads. */
export const CLIENT_STEPS = {
  advertiseKeys: { from: 'init', to: 'advertised' },
  shareKeys: { from: 'advertised', to: 'shared' },
  maskInput: { from: 'shared', to: 'masked' },
  attest: { from: 'masked', to: 'attested' },
  unmask: { from: 'attested', to: 'unmasked' },
} as const satisfies Record<string, { from: ClientStage; to: ClientStage }>;
export type ClientStep = keyof typeof CLIENT_STEPS;

/** Server phases: the stage that collects them, the stage closing them leads to, and a name for messages. */
export const SERVER_PHASES = {
  advertise: { stage: 'collect-keys', next: 'collect-shares' },
  share: { stage: 'collect-shares', next: 'collect-masked' },
  masked: { stage: 'collect-masked', next: 'collect-attest' },
  attest: { stage: 'collect-attest', next: 'collect-unmask' },
  unmask: { stage: 'collect-unmask', next: 'done' },
} as const satisfies Record<string, { stage: ServerStage; next: ServerStage }>;
export type ServerPhase = keyof typeof SERVER_PHASES;

/**
 * Which share of a peer a site reveals at unmasking: 'b' (its self-mask seed, for a
 * survivor) or 's' (its pairwise-mask secret key, for a dropped site). Never both.
 */
export const REVEAL_KINDS = ['b', 's'] as const;
export type RevealKind = (typeof REVEAL_KINDS)[number];

/** Every derivation and every signed or encrypted layout starts with one of these tags. */
export const DOMAINS = {
  ADVERTISE: 'cohortfl/secagg/v1/advertise',
  SHARE: 'cohortfl/secagg/v1/share',
  SELF_MASK: 'cohortfl/secagg/v1/self-mask',
  PAIR_MASK: 'cohortfl/secagg/v1/pair-mask',
  GRAPH: 'cohortfl/secagg/v2/graph',
  SURVIVORS: 'cohortfl/secagg/v1/survivors',
  UNMASK_REQUEST: 'cohortfl/secagg/v1/unmask-request',
} as const;
export type Domain = (typeof DOMAINS)[keyof typeof DOMAINS];

/** Fixed sizes in bytes; every format of this package is constant-size for a given cohort. */
export const SIZES = {
  /** An X25519 public or secret key. */
  KEY: 32,
  /** A self-mask seed and a Shamir secret. */
  SECRET: 32,
  /** Round context: SHA-256 task hash, u32 round, u32 attempt. */
  CONTEXT: 40,
  /** A site name: u8 length then the name zero-padded to 64 bytes. */
  SITE: 65,
  /** A GF(2^521 − 1) element, big-endian. */
  FIELD: 66,
  /** A Shamir share: u16 x then the field element y. */
  SHARE: 68,
  /** Share plaintext: context digest 32, from 65, to 65, b-share 68, s-share 68. */
  SHARE_PLAINTEXT: 298,
  NONCE: 24,
  BOX_OVERHEAD: 16,
  /** nonce || nacl.box(plaintext): 24 + 16 + 298. */
  ENCRYPTED_SHARE: 338,
  /** One revealed share on the wire: owner site 65, kind 1, share 68. */
  REVEAL: 134,
} as const;

/** The smallest threshold accepted: with 1, a single share (or a single site's sum) would expose a site. */
export const MIN_THRESHOLD = 2;
/** Shamir x-coordinates are u16 and the roster is at most this many sites (wire's COHORT_MAX). */
export const MAX_ROSTER = 1024;

/**
 * The messages of a round, shared by the coordinator side and the site side.
 * This is the protocol's one vocabulary module: string-literal unions and
 * `as const` objects, no enums. Runtime validation and the binary codec
 * live beside these types in this package.
 */
import type { WireError } from './errors.js';
import type {
  SecAggCoordinatorMessage,
  SecAggKeys,
  SecAggMasked,
  SecAggRelay,
  SecAggReveal,
  SecAggRoster,
  SecAggShares,
  SecAggSiteMessage,
  SecAggUnmask,
  SecAggSurvivors,
  SecAggAttest,
} from './secagg-messages.js';

export const PHASES = ['train', 'evaluate'] as const;
export type Phase = (typeof PHASES)[number];

export const MESSAGE_TYPES = {
  HELLO: 'hello',
  CHALLENGE: 'challenge',
  AUTH: 'auth',
  WELCOME: 'welcome',
  ERROR: 'error',
  ROUND_START: 'round/start',
  MODEL_CHUNK: 'model/chunk',
  UPDATE: 'update/submit',
  EVAL_RESULT: 'eval/result',
  REFUSE: 'round/refuse',
  TASK_MANIFEST: 'task/manifest',
  STATUS: 'status',
  SECAGG_KEYS: 'secagg/keys',
  SECAGG_ROSTER: 'secagg/roster',
  SECAGG_SHARES: 'secagg/shares',
  SECAGG_RELAY: 'secagg/relay',
  SECAGG_MASKED: 'secagg/masked',
  SECAGG_SURVIVORS: 'secagg/survivors',
  SECAGG_ATTEST: 'secagg/attest',
  SECAGG_UNMASK: 'secagg/unmask',
  SECAGG_REVEAL: 'secagg/reveal',
} as const;

export type MessageType = (typeof MESSAGE_TYPES)[keyof typeof MESSAGE_TYPES];

export type ConfigValue = number | string | boolean;

/** Coordinator → site: run one phase of one round on these global weights. */
export interface RoundStart {
  type: 'round/start';
  taskHash: string;
  round: number;
  attempt: number;
  phase: Phase;
  /** Sites taking part in this phase (their count is what cohort-size policies check). */
  cohort: string[];
  config: Record<string, ConfigValue>;
  /** The global weights; empty when they are announced by `weightsHash` and follow as `model/chunk` messages. */
  weights: Float32Array;
  /**
   * SHA-256 (hex) of the chunked weights' bytes; present exactly when `weightsChunks` is.
   * From protocol 2.1 the chunks are not sent to a site that holds this model (held-models.ts).
   */
  weightsHash?: string;
  /** Number of `model/chunk` messages carrying the weights. */
  weightsChunks?: number;
}

/** Site → coordinator: a training update (new − global weights). */
export interface UpdateSubmit {
  type: 'update/submit';
  taskHash: string;
  round: number;
  attempt: number;
  site: string;
  update: Float32Array;
  numExamples: number;
  metrics: Record<string, number>;
}

/** Site → coordinator: metrics of the global model on the site's validation split. */
export interface EvalResult {
  type: 'eval/result';
  taskHash: string;
  round: number;
  attempt: number;
  site: string;
  numExamples: number;
  metrics: Record<string, number>;
  /**
   * Sufficient statistics of the site's validation scores: per label, a histogram on
   * fixed score bins, overall and per subgroup (see @cohortfl/fairness). Never a
   * patient-level prediction.
   */
  stats?: EvalStatsWire;
}

export interface EvalCountsWire {
  pos: number[];
  neg: number[];
  brierSum: number;
  n: number;
}

/**
 * A site's released evaluation statistics. `brierSum` is computed from the bin centres of
 * the released counts, never from exact scores. A subgroup value the site suppressed
 * under its small-cell rule is sent as `{ pos: [], neg: [], brierSum: 0, n: 0 }`.
 */
export interface EvalStatsWire {
  bins: number;
  overall: EvalCountsWire;
  byGroup: Record<string, Record<string, EvalCountsWire>>;
  /** σ of the discrete Gaussian noise on every count; absent when the counts are exact. */
  noiseSigma?: number;
}

/** Site → coordinator: the site will not take part in this phase, and why. */
export interface RoundRefuse {
  type: 'round/refuse';
  taskHash: string;
  round: number;
  attempt: number;
  site: string;
  phase: Phase;
  error: WireError;
}

export type SiteMessage = UpdateSubmit | EvalResult | RoundRefuse | SecAggSiteMessage;
export type CoordinatorMessage = RoundStart | SecAggCoordinatorMessage;

/** Site → coordinator, first message of a connection: who I claim to be. */
export interface Hello {
  site: string;
  protocolVersion: string;
  /** The site's enrolled Ed25519 key, in @cohortfl/identity's text form (`ed25519:<base64url>`). */
  publicKey: string;
  /** 32 fresh random bytes: the coordinator must sign them (Challenge.proof) before the site answers. */
  nonce: Uint8Array;
}

/** Coordinator → site: fresh random bytes the site must sign, and the coordinator key sites pin. */
export interface Challenge {
  challenge: Uint8Array;
  coordinatorPublicKey: string;
  /** 'tls-exporter': the handshake is bound to the TLS connection the coordinator terminates; 'none': no TLS at the coordinator. */
  binding: 'tls-exporter' | 'none';
  /** The coordinator's signature over (site nonce, challenge, channel binding), domain cohortfl/v1/coordinator-auth. */
  proof: Uint8Array;
}

/** Site → coordinator: the Ed25519 signature proving possession of the enrolled key. */
export interface Auth {
  site: string;
  signature: Uint8Array;
}

/** Coordinator → site: authentication succeeded; the session is open. */
export interface Welcome {
  site: string;
  sessionId: string;
}

/** Coordinator → site: one slice of the global weights announced by a chunked `round/start`. */
export interface ModelChunk {
  taskHash: string;
  round: number;
  attempt: number;
  /** 0-based position of this slice. */
  index: number;
  total: number;
  /** SHA-256 (hex) of the whole Float32Array's bytes, equal to the round's `weightsHash`. */
  hash: string;
  data: Uint8Array;
}

/** Coordinator → site: a task's declarative manifest; `hash` is the task hash sites approve. */
export interface TaskManifest {
  hash: string;
  json: string;
}

/** Site → coordinator: readiness and privacy budget spent so far. */
export interface SiteStatus {
  epsilonSpent?: number;
  /** The site's own ε budget (policy.json privacy.epsilonMax), shown to the operator against epsilonSpent. */
  epsilonBudget?: number;
  /** A summary of the hospital's policy for the operator's dashboard; the site still enforces it alone. */
  policy?: { minCohortSize: number; approvedTasks: number; acceptTasks: boolean };
  ready: boolean;
  /** 1, 2, 3… within a session: the status signature covers it, and it must grow. */
  seq: number;
}

/** The body each message type carries. Round messages repeat their `type` inside the body. */
export interface MessageBodies {
  hello: Hello;
  challenge: Challenge;
  auth: Auth;
  welcome: Welcome;
  error: WireError;
  'round/start': RoundStart;
  'model/chunk': ModelChunk;
  'update/submit': UpdateSubmit;
  'eval/result': EvalResult;
  'round/refuse': RoundRefuse;
  'task/manifest': TaskManifest;
  status: SiteStatus;
  'secagg/keys': SecAggKeys;
  'secagg/roster': SecAggRoster;
  'secagg/shares': SecAggShares;
  'secagg/relay': SecAggRelay;
  'secagg/masked': SecAggMasked;
  'secagg/survivors': SecAggSurvivors;
  'secagg/attest': SecAggAttest;
  'secagg/unmask': SecAggUnmask;
  'secagg/reveal': SecAggReveal;
}

/** Who may send each message; a peer receiving a message from the wrong side refuses it. */
export const MESSAGE_SENDERS = {
  hello: 'site',
  challenge: 'coordinator',
  auth: 'site',
  welcome: 'coordinator',
  error: 'either',
  'round/start': 'coordinator',
  'model/chunk': 'coordinator',
  'update/submit': 'site',
  'eval/result': 'site',
  'round/refuse': 'site',
  'task/manifest': 'coordinator',
  status: 'site',
  'secagg/keys': 'site',
  'secagg/roster': 'coordinator',
  'secagg/shares': 'site',
  'secagg/relay': 'coordinator',
  'secagg/masked': 'site',
  'secagg/survivors': 'coordinator',
  'secagg/attest': 'site',
  'secagg/unmask': 'coordinator',
  'secagg/reveal': 'site',
} as const satisfies Record<MessageType, 'site' | 'coordinator' | 'either'>;

export type MessageSender = (typeof MESSAGE_SENDERS)[MessageType];

/** The provenance record of one checkpoint (PROVENANCE.md documents every field). */

export const PROVENANCE_FORMAT = 'cohortfl-provenance/1';

export interface ProvenanceStrategy {
  name: string;
  /** The strategy's own parameters from the manifest (server learning rate, proxMu, …). */
  params: Record<string, unknown>;
}

export interface ProvenanceSecureAggregation {
  /** null: the default strict majority of each round's cohort. */
  threshold: number | null;
  degree: number;
  clip: number;
  weightScale: number;
  stepTimeout: number;
}

export interface ProvenancePrivacy {
  unit: 'site' | 'patient';
  clip: number;
  delta: number;
  /** null: calibrated per site from targetEpsilon ('patient' unit). */
  noiseMultiplier: number | null;
  targetEpsilon: number | null;
}

export interface ProvenanceSiteResult {
  site: string;
  /** Validation examples the site evaluated on (null: not reported). */
  numExamples: number | null;
  metrics: Record<string, number>;
}

export interface ProvenanceFailure {
  site: string;
  reason: string;
  message?: string;
}

export interface ProvenanceRound {
  round: number;
  attempt: number;
  startedAt: number;
  finishedAt: number;
  cohort: string[];
  trained: string[];
  failures: ProvenanceFailure[];
  trainMetrics: Record<string, number>;
  evalMetrics: Record<string, number>;
  perSite: ProvenanceSiteResult[];
  checkpointSha256: string;
  chainHash: string;
}

export interface ProvenanceSiteEpsilon {
  site: string;
  /** The ε the site last reported from its own ledger; null: never reported. */
  epsilonSpent: number | null;
  reportedAt: number | null;
}

export interface ProvenanceSignature {
  alg: 'ed25519';
  domain: 'cohortfl/v1/provenance';
  /** Padded standard base64 of the 64-byte Ed25519 signature. */
  value: string;
}

export interface UnsignedProvenanceRecord {
  format: typeof PROVENANCE_FORMAT;
  run: { id: number; status: string; createdAt: number; plannedRounds: number; holdOut: string[] };
  task: {
    name: string;
    version: string;
    manifestSha256: string;
    rounds: number;
    minSites: number;
    fractionFit: number;
    strategy: ProvenanceStrategy;
    secureAggregation: ProvenanceSecureAggregation | null;
    privacy: ProvenancePrivacy | null;
  };
  coordinator: { publicKey: string; fingerprint: string };
  rounds: ProvenanceRound[];
  checkpoint: { round: number; attempt: number; sha256: string; chainHash: string };
  privacy: ProvenanceSiteEpsilon[];
  generatedAt: number;
}

export interface ProvenanceRecord extends UnsignedProvenanceRecord {
  signature: ProvenanceSignature;
}

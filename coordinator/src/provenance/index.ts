export { buildProvenance, unsignedProvenance } from './build.js';
export type { BuildProvenanceOptions } from './build.js';
export { chainHash, PROVENANCE_GENESIS_HASH } from './chain.js';
export type { ChainLinkInput } from './chain.js';
export { provenanceContext, provenanceDigest, signProvenance, withoutSignature } from './sign.js';
export { verifyProvenance } from './verify.js';
export type { ProvenanceVerdict } from './verify.js';
export { provenanceHtml } from './html.js';
export type { ProvenanceHtmlStatus } from './html.js';
export { runProvenanceCommand } from './command.js';
export type { ProvenanceCommandIo, ProvenanceCommandOptions } from './command.js';
export { PROVENANCE_FORMAT } from './types.js';
export type {
  ProvenanceFailure,
  ProvenancePrivacy,
  ProvenanceRecord,
  ProvenanceRound,
  ProvenanceSecureAggregation,
  ProvenanceSignature,
  ProvenanceSiteEpsilon,
  ProvenanceSiteResult,
  ProvenanceStrategy,
  UnsignedProvenanceRecord,
} from './types.js';

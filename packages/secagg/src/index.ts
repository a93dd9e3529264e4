export { SecAggClient } from './client.js';
export type { SecAggClientOptions } from './client.js';
export { SecAggServer } from './server.js';
export type { SecAggServerOptions } from './server.js';
export { advertisementBytes, survivorSetBytes, unmaskRequestBytes } from './signed-bytes.js';
export { consistencyHolds, maxHolders, minimumThreshold } from './roster.js';
export { createQuantizer } from './quantize.js';
export type { DequantizedSum, Quantizer, QuantizerConfig } from './quantize.js';
export { clipL2, clipL2Into } from './clip.js';
export type { L2Clipped } from './clip.js';
export { applyMask, applyMasks, expandMask } from './prg.js';
export type { SignedMask } from './prg.js';
export { pairMaskKey, selfMaskKey } from './mask-keys.js';
export { combine as shamirCombine, split as shamirSplit, encodeShare, decodeShare } from './shamir.js';
export type { ShamirShare } from './shamir.js';
export { FIELD_PRIME } from './field.js';
export { createGraph, defaultDegree, isConnected } from './graph.js';
export type { GraphSpec, NeighbourGraph } from './graph.js';
export type { RoundContext } from './context.js';
export type {
  EncryptedShare,
  KeyAdvertisement,
  ReceivedShare,
  Reveal,
  RosterEntry,
  SecAggConfig,
  UnmaskRequest,
} from './types.js';
export {
  CLIENT_STAGES,
  CLIENT_STEPS,
  DOMAINS,
  MIN_THRESHOLD,
  REVEAL_KINDS,
  SERVER_PHASES,
  SERVER_STAGES,
  SIZES,
} from './vocabulary.js';
export type { ClientStage, RevealKind, ServerPhase, ServerStage } from './vocabulary.js';
// Low-level primitives: what an auditor's tools (and the adversary tests) need to
// recompute masks and open shares with keys they legitimately hold.
export { createAgreement } from './x25519.js';
export type { Agreement } from './x25519.js';
export { decryptShares } from './share-payload.js';
export { pairSign } from './mask-keys.js';

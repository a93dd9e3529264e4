export { createSecureRandom, createSeededRandom } from './random.js';
export type { RandomSource, SecureRandom } from './random.js';
export { sampleBernoulliExp } from './bernoulli-exp.js';
export { sampleDiscreteLaplace } from './discrete-laplace.js';
export { createDiscreteGaussianSampler, createReferenceDiscreteGaussianSampler, sampleDiscreteGaussian } from './discrete-gaussian.js';
export { createBatchedDiscreteGaussianSampler } from './batched-discrete-gaussian.js';
export type { BatchedDiscreteGaussianSampler } from './batched-discrete-gaussian.js';
export type { DiscreteGaussianSampler } from './discrete-gaussian.js';
export { MAX_SIGMA_SQUARED, MIN_SIGMA_SQUARED, roundSigmaSquared } from './sigma-rational.js';
export type { SigmaSquaredRational } from './sigma-rational.js';
export { discreteGaussianVariance } from './discrete-gaussian-moments.js';
export { gaussianNoise } from './gaussian-noise.js';
export { clipByL2Norm } from './clip.js';
export type { ClipResult } from './clip.js';
export { DEFAULT_ORDERS } from './rdp-orders.js';
export { computeRdp } from './rdp-subsampled-gaussian.js';
export type { ComputeRdpParams } from './rdp-subsampled-gaussian.js';
export { composeRdp, rdpToEpsilon, rdpToEpsilonMironov2017 } from './rdp-conversion.js';
export type { EpsilonAtOrder } from './rdp-conversion.js';
export { calibrateNoise, computeEpsilon, MAX_NOISE_MULTIPLIER, MIN_NOISE_MULTIPLIER } from './accountant.js';
export type { CalibrateNoiseParams, ComputeEpsilonParams } from './accountant.js';
export {
  accountDistributedDiscreteGaussian,
  ddgTau,
  distributedDiscreteGaussianRdp,
  roundedL2NormBound,
} from './distributed-discrete-gaussian.js';
export type {
  AccountDistributedDiscreteGaussianParams,
  DistributedDiscreteGaussianAccount,
  DistributedDiscreteGaussianParams,
  DistributedDiscreteGaussianRdp,
} from './distributed-discrete-gaussian.js';
export { accountGaussianSiteLevel } from './site-level-gaussian.js';
export type { GaussianSiteLevelAccount, GaussianSiteLevelParams } from './site-level-gaussian.js';
export type { Mechanism } from './mechanism.js';
export { createLedger, ledgerFromJSON } from './ledger.js';
export type { Ledger, LedgerConfig, LedgerEntry, LedgerPolicyOverride, LedgerPreview, LedgerState } from './ledger.js';
export type { JsonNumber, LedgerJSON } from './ledger-json.js';

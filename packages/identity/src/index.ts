export { generateIdentity, identityFromSeed, encodePublicKey, decodePublicKey, fingerprint, PUBLIC_KEY_PREFIX } from './keys.js';
export type { Identity } from './keys.js';
export { writeKeyFile, readKeyFile, KEY_FILE_FORMAT } from './key-file.js';
export type { WriteKeyFileOptions } from './key-file.js';
export { SIGN_DOMAINS, SIGNATURE_TAG, payloadHash, signingDigest, signingDigestFromPayloadHash } from './sign-context.js';
export type { SignContext, SignDomain, SigningDigest } from './sign-context.js';
export { ed25519Implementation, setEd25519Implementation } from './ed25519.js';
export type { Ed25519Name } from './ed25519.js';
export { signDigest, signPayload, verifyDigest, verifyPayload } from './signature.js';
export {
  CHANNEL_BINDING_BYTES,
  CHANNEL_BINDING_LABEL,
  createChallenge,
  NO_CHANNEL_BINDING,
  NONCE_BYTES,
  signChallenge,
  signCoordinatorProof,
  statusContext,
  verifyChallenge,
  verifyCoordinatorProof,
} from './challenge.js';
export type { ChallengeInput, HandshakeBinding } from './challenge.js';
export { ReplayGuard } from './replay-guard.js';
export type { ReplayCheck, ReplayGuardOptions, ReplayGuardState, ReplayEntryState, ReplayReason, ReplayVerdict } from './replay-guard.js';
export { constantTimeEqual, generateToken, hashAdminToken, verifyAdminToken } from './tokens.js';
export { AUDIT_EXPORTED, AUDIT_FORMAT, AUDIT_GENESIS_HASH, AUDIT_MESSAGE_ACCEPTED, AUDIT_MESSAGE_REFUSED, AUDIT_SEAL_GRACE_MS, auditDigestHex, auditEntryHash, signAuditEntry, verifyAuditLog } from './audit-chain.js';
export type { AuditEntry, AuditFields, AuditLog, AuditVerdict, SiteAuditRecord, VerifyAuditOptions } from './audit-chain.js';

export { CohortError, ERROR_CODES, exitCodeFor, isCohortError } from './errors.js';
export type { CohortErrorOptions, ErrorCode, WireError } from './errors.js';
export { PROTOCOL_VERSION } from './version.js';
export { isCompatibleVersion, MODEL_REFERENCE_VERSION, versionAtLeast } from './version-rule.js';
export { HELD_MODELS, HeldModels, roundStartKey } from './held-models.js';
export { MESSAGE_SENDERS, MESSAGE_TYPES, PHASES } from './messages.js';
export type {
  Auth,
  Challenge,
  ConfigValue,
  CoordinatorMessage,
  EvalCountsWire,
  EvalResult,
  EvalStatsWire,
  Hello,
  MessageBodies,
  MessageSender,
  MessageType,
  ModelChunk,
  Phase,
  RoundRefuse,
  RoundStart,
  SiteMessage,
  SiteStatus,
  TaskManifest,
  UpdateSubmit,
  Welcome,
} from './messages.js';
export type {
  SecAggCoordinatorMessage,
  SecAggKeys,
  SecAggMasked,
  SecAggRelay,
  SecAggReveal,
  SecAggRoster,
  SecAggRosterEntry,
  SecAggShares,
  SecAggSiteMessage,
  SecAggUnmask,
  SecAggSurvivors,
  SecAggAttest,
  SecAggAttestation,
} from './secagg-messages.js';
export { createEnvelope, newMessageId } from './envelope.js';
export type { Envelope, EnvelopeOf } from './envelope.js';
export { LIMITS, isSiteName, SITE_NAME_PATTERN, SHA256_HEX_PATTERN } from './limits.js';
export { REFUSAL_REASONS, refusalReason } from './refusal.js';
export type { RefusalReason } from './refusal.js';
export { BODY_SCHEMAS } from './body-schemas.js';
export { isMessageType, parseBody, parseEnvelope } from './parse-envelope.js';
export { createCodec, encodeBody } from './codec.js';
export { createMsgpackrParser, msgpackrParser, MsgpackrDecoder, MsgpackrEncoder, PACKET_TYPES, packetProblem, PacketRefusedError, RESERVED_EVENTS } from './socketio-parser.js';
export type { MsgpackrParser, ParserHooks, SocketIoPacket } from './socketio-parser.js';
export type { Codec, CodecOptions, ReceivedEnvelope } from './codec.js';
export { frameBody } from './frame-body.js';
export { checkUpdate } from './check-update.js';
export { hashWeights, splitIntoChunks } from './chunking.js';
export type { SplitWeights } from './chunking.js';
export { ChunkAssembler } from './chunk-assembler.js';
export type { ChunkAssemblerOptions } from './chunk-assembler.js';
export { createSeededRandom } from './seeded-random.js';
export { canonicalJson } from './canonical-json.js';
export type { CanonicalJsonOptions } from './canonical-json.js';
export { DEFAULT_GUARD_BURST, installProcessGuard } from './process-guard.js';
export type { ProcessGuardOptions, UncaughtKind } from './process-guard.js';

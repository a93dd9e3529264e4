export { CohortError, ERROR_CODES, exitCodeFor, isCohortError } from './errors.js';
export type { CohortErrorOptions, ErrorCode, WireError } from './errors.js';
export { PROTOCOL_VERSION } from './version.js';
export { MESSAGE_TYPES, PHASES } from './messages.js';
export type {
  ConfigValue,
  CoordinatorMessage,
  EvalResult,
  Phase,
  RoundRefuse,
  RoundStart,
  SiteMessage,
  UpdateSubmit,
} from './messages.js';

import { VERSION_PATTERN } from './limits.js';
import { PROTOCOL_VERSION } from './version.js';

const OUR_MAJOR = majorOf(PROTOCOL_VERSION);

function majorOf(version: string): number | undefined {
  const m = VERSION_PATTERN.exec(version);
  return m ? Number(m[1]) : undefined;
}

/**
 * Peers interoperate when their major versions match. Schemas are strict, so an
 * addition made in a minor version is only sent to a peer whose envelopes
 * announce that minor version or later.
 */
export function isCompatibleVersion(version: string): boolean {
  return majorOf(version) === OUR_MAJOR;
}

/** Whether a peer announcing `version` understands what `minimum` added (same major, minor at least). */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = VERSION_PATTERN.exec(version);
  const b = VERSION_PATTERN.exec(minimum);
  if (!a || !b || Number(a[1]) !== Number(b[1])) return false;
  return Number(a[2]) >= Number(b[2]);
}

/** The protocol version that added `round/start` weights named by hash (held-models.ts). */
export const MODEL_REFERENCE_VERSION = '2.1';

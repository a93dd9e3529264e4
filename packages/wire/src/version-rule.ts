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

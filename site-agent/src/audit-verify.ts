/**
 * `cohort-site audit verify <file>`: checks a coordinator's exported audit log against the
 * coordinator key this site pinned. The site keeps no record of what it signed yet, so this
 * checks the chain and the signatures only, not that the logged digests are the site's own.
 */
import { readFileSync } from 'node:fs';
import { decodePublicKey, verifyAuditLog, type AuditVerdict } from '@cohortfl/identity';
import { CohortError } from '@cohortfl/wire';
import type { SiteConfig } from './config.js';

export function verifyAuditFile(path: string, config: Pick<SiteConfig, 'coordinator'>): AuditVerdict {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CohortError('DATA_INVALID', `cannot read the audit log ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CohortError('DATA_INVALID', `${path} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  return verifyAuditLog(json, { coordinatorPublicKey: decodePublicKey(config.coordinator.publicKey) });
}

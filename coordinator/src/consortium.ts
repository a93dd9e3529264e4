/**
 * The consortium membership the coordinator serves: every active enrolled site and its
 * identity key. Hospitals pin its SHA-256 (or the file `sites consortium` writes) in
 * their policy and accept secure-aggregation peers only from it; enrolling or revoking
 * a site changes it, and every hospital approves the new one before taking part again.
 */
import { createMembership, type Membership } from '@cohortfl/protocol';
import { CohortError } from '@cohortfl/wire';
import type { Store } from './store/index.js';

export function consortiumOf(store: Pick<Store, 'listSites'>): Membership {
  const active = store.listSites().filter((s) => s.status === 'active');
  if (active.length === 0) throw new CohortError('NOT_FOUND', 'no active site is enrolled, so there is no consortium yet; enroll sites with `sites add`');
  return createMembership(active.map((s) => ({ site: s.name, identityKey: s.publicKey })));
}

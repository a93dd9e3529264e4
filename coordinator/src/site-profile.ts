/**
 * What a site says about itself for the operator's view (`status {epsilonBudget?,
 * policy?}`): its ε budget and a summary of its policy. Kept in the store's meta
 * (`profile:<site>`) so the dashboard shows it across coordinator restarts. The
 * coordinator never decides anything from it: each hospital enforces its own policy.
 */
import type { SiteStatus } from '@cohortfl/wire';
import type { Store } from './store/index.js';

export const PROFILE_META_PREFIX = 'profile:';

export interface SiteProfile {
  epsilonBudget: number | null;
  policy: NonNullable<SiteStatus['policy']> | null;
  reportedAt: number;
}

export function recordSiteProfile(store: Store, site: string, status: SiteStatus, at: number): void {
  if (status.epsilonBudget === undefined && status.policy === undefined) return;
  const previous = readSiteProfile(store, site);
  const profile: SiteProfile = {
    epsilonBudget: status.epsilonBudget ?? previous?.epsilonBudget ?? null,
    policy: status.policy ?? previous?.policy ?? null,
    reportedAt: at,
  };
  store.setMeta(`${PROFILE_META_PREFIX}${site}`, JSON.stringify(profile));
}

export function readSiteProfile(store: Store, site: string): SiteProfile | undefined {
  const text = store.getMeta(`${PROFILE_META_PREFIX}${site}`);
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<SiteProfile>;
    if (typeof value.reportedAt !== 'number') return undefined;
    return {
      epsilonBudget: typeof value.epsilonBudget === 'number' ? value.epsilonBudget : null,
      policy: value.policy && typeof value.policy === 'object' ? value.policy : null,
      reportedAt: value.reportedAt,
    };
  } catch {
    // Unreadable entry: shown as unknown until the site's next status replaces it.
    return undefined;
  }
}

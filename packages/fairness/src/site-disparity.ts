import { CohortError } from '@cohortfl/wire';

export interface SiteAuc {
  site: string;
  auc: number;
}

export interface SiteDisparity {
  /** Site with the lowest AUC (the first listed on a tie). */
  worstSite: string;
  worstAuc: number;
  maxMinusMin: number;
  /** Population standard deviation: sqrt(Σ (auc − mean)² / k). */
  std: number;
  /** Sites whose AUC is NaN (one class only in their validation data), left out of the above. */
  undefinedSites: string[];
}

/** Spread of AUC across sites. NaN AUCs are set aside; refused if no site has an AUC. */
export function siteDisparity(perSite: readonly SiteAuc[]): SiteDisparity {
  if (!Array.isArray(perSite)) throw new CohortError('DATA_INVALID', 'perSite must be an array');
  const seen = new Set<string>();
  const defined: SiteAuc[] = [];
  const undefinedSites: string[] = [];
  for (const [i, entry] of perSite.entries()) {
    if (typeof entry?.site !== 'string' || seen.has(entry.site)) {
      throw new CohortError('DATA_INVALID', `perSite[${i}] has a missing or repeated site name`);
    }
    seen.add(entry.site);
    if (Number.isNaN(entry.auc)) undefinedSites.push(entry.site);
    else if (typeof entry.auc === 'number' && entry.auc >= 0 && entry.auc <= 1) defined.push(entry);
    else throw new CohortError('DATA_INVALID', `perSite[${i}].auc is not NaN or a number in [0, 1]`);
  }
  const first = defined[0];
  if (first === undefined) throw new CohortError('DATA_INVALID', 'no site has a defined AUC');
  let worst = first;
  let best = first;
  for (const s of defined) {
    if (s.auc < worst.auc) worst = s;
    if (s.auc > best.auc) best = s;
  }
  const mean = defined.reduce((sum, s) => sum + s.auc, 0) / defined.length;
  const variance = defined.reduce((sum, s) => sum + (s.auc - mean) ** 2, 0) / defined.length;
  return {
    worstSite: worst.site,
    worstAuc: worst.auc,
    maxMinusMin: best.auc - worst.auc,
    std: Math.sqrt(variance),
    undefinedSites,
  };
}

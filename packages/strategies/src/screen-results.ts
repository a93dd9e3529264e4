import { compareIds } from './sampling.js';
import type { SiteFailure, TrainResultIn } from './types.js';

export interface Screened {
  /** Valid results, sorted by site id so sums do not depend on arrival order. */
  accepted: TrainResultIn[];
  rejected: SiteFailure[];
}

/**
 * Refuses results that would corrupt the aggregate: wrong length, any non-finite
 * value, a weight that is not a positive integer, or a second result from a site.
 * Messages carry counts and positions only, never a value from an update.
 */
export function screenResults(globalLength: number, results: readonly TrainResultIn[]): Screened {
  const accepted: TrainResultIn[] = [];
  const rejected: SiteFailure[] = [];
  const seen = new Set<string>();
  for (const result of results) {
    const failure = checkResult(globalLength, result, seen);
    if (failure === undefined) {
      accepted.push(result);
      seen.add(result.site);
    } else {
      rejected.push(failure);
    }
  }
  accepted.sort((a, b) => compareIds(a.site, b.site));
  return { accepted, rejected };
}

function checkResult(globalLength: number, result: TrainResultIn, seen: ReadonlySet<string>): SiteFailure | undefined {
  const { site, update, numExamples } = result;
  if (seen.has(site)) {
    return { site, reason: 'DUPLICATE_SITE', message: 'site sent more than one result this round; kept the first' };
  }
  if (update.length !== globalLength) {
    return {
      site,
      reason: 'SHAPE_MISMATCH',
      message: `update has ${update.length} values, the global model has ${globalLength}`,
    };
  }
  for (let i = 0; i < update.length; i++) {
    if (!Number.isFinite(update[i])) {
      return { site, reason: 'NON_FINITE', message: `update value at index ${i} is not finite` };
    }
  }
  if (!(Number.isInteger(numExamples) && numExamples > 0 && Number.isSafeInteger(numExamples))) {
    return { site, reason: 'BAD_WEIGHT', message: 'numExamples must be a positive integer' };
  }
  return undefined;
}

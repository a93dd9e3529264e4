/**
 * A hospital's own policy. It runs before anything else in the site pipeline and
 * nothing the coordinator or a task sends can loosen it.
 */
import { CohortError, type RoundStart } from '@cohortfl/wire';

export interface SitePolicy {
  /** false: refuse every task (a site paused by its hospital). */
  acceptTasks: boolean;
  /** Task manifest hashes the hospital approved. Empty or absent: none is approved. */
  approvedTaskHashes: string[];
  /** Smallest cohort this site takes part in (protects small-cohort inference). */
  minCohortSize: number;
  /**
   * Colluding sites (other than the coordinator) this hospital assumes could pool their
   * shares with the coordinator; the secure aggregation threshold must tolerate them.
   * Default DEFAULT_COLLUDERS. A task may assume more, never fewer.
   */
  colluders?: number;
  /**
   * Distributed DP: the fewest honest sites whose noise this hospital accepts to count
   * on (a round whose dpMinSites is lower is refused). Default 1.
   */
  minNoiseSites?: number;
  /**
   * Smallest subgroup × label cell whose evaluation statistics this site releases
   * (see safe-evaluation.ts). Absent: DEFAULT_MIN_CELL_SIZE, applied by minCellSizeOf.
   */
  minCellSize?: number;
  /**
   * Discrete Gaussian noise (standard deviation `sigma`, in counts) added to every
   * released histogram count, charged to the site's privacy ledger. Absent: no noise.
   */
  evaluationNoise?: { sigma: number };
}

/**
 * The small-cell rule applied when a policy does not set one. Disclosure-control
 * rules in common use suppress cells below 5 to 11 records; 10 sits in that range.
 */
export const DEFAULT_MIN_CELL_SIZE = 10;

/** The policy's minimum cell size, the default applied here and nowhere else. */
export function minCellSizeOf(policy: SitePolicy): number {
  const value = policy.minCellSize ?? DEFAULT_MIN_CELL_SIZE;
  if (!Number.isInteger(value) || value < 1) {
    throw new CohortError('CONFIG_INVALID', `policy minCellSize must be an integer ≥ 1, got ${String(value)}`);
  }
  return value;
}

/** Colluding sites assumed when neither the hospital nor the task says otherwise. */
export const DEFAULT_COLLUDERS = 1;

/** A simulation's hospitals: they accept the task and assume exactly the colluders the task assumes. */
export const PERMISSIVE_SIMULATION_POLICY = (taskHash: string): SitePolicy => ({
  acceptTasks: true,
  approvedTaskHashes: [taskHash],
  minCohortSize: 1,
  colluders: 0,
});

/** Throws POLICY_REFUSED with the reason a hospital's IT would want to read. */
export function enforcePolicy(policy: SitePolicy, start: RoundStart): void {
  if (!policy.acceptTasks) {
    throw new CohortError('POLICY_REFUSED', 'this site does not accept tasks (policy acceptTasks is false)');
  }
  if (!policy.approvedTaskHashes.includes(start.taskHash)) {
    throw new CohortError('POLICY_REFUSED', `task ${start.taskHash} is not in this site's approved task hashes`);
  }
  if (start.cohort.length < policy.minCohortSize) {
    throw new CohortError(
      'POLICY_REFUSED',
      `cohort of ${start.cohort.length} sites is below this site's minimum of ${policy.minCohortSize}`,
    );
  }
}

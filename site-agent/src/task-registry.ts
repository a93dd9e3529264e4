/**
 * The tasks this site has heard of, by manifest hash. A manifest is checked
 * against its hash when it arrives; the site's data is loaded for it once, and
 * only if the hospital's policy approves that hash. Every round goes through a
 * SiteRunner, so the policy is enforced in one place (protocol's), first.
 *
 * Only approved manifests are kept (their number is bounded by the policy's list). Of an
 * unapproved one only its hash is remembered, in a set of at most MAX_UNAPPROVED_HASHES
 * (oldest forgotten first), so a coordinator sending ever new manifests cannot grow the
 * site's memory; a round of an unapproved task is refused as not approved whether or not
 * its hash is still remembered.
 */
import type { Logger } from 'pino';
import type { SiteDataset, SiteMapping } from '@cohortfl/data';
import { SiteRunner, type EvaluationGuard, type Membership, type RevealedRounds, type SitePolicy, type SitePrivacy, type SiteWork } from '@cohortfl/protocol';
import { loadSiteForTask, parseManifest, type Task } from '@cohortfl/sdk';
import { CohortError, isCohortError } from '@cohortfl/wire';
import { createSiteWork } from './site-work.js';

export interface TaskRegistryOptions {
  site: string;
  policy: SitePolicy;
  dataDir: string;
  mapping?: SiteMapping;
  logger: Logger;
  /** The site's identity secret key: signs its secure aggregation key advertisements. */
  identitySecretKey: Uint8Array;
  /** The site's one privacy ledger, shared by the runners of every task (the budget covers them all). */
  privacy?: SitePrivacy;
  /** The site's one record of evaluated models, shared by every runner (evaluation-record.ts). */
  evaluations?: EvaluationGuard;
  /** Replaces the data-backed work (no data is loaded): see SiteAgentOptions.work. */
  work?: (task: Task) => SiteWork;
  /** The approved consortium membership (secure aggregation peers). */
  membership?: Membership;
  /** Rounds this site revealed for, kept across restarts. */
  revealed?: RevealedRounds;
  /** Every refusal of a round or secure step, with its reason label. */
  onRefusal?: (reason: string, error: CohortError) => void;
}

interface TaskEntry {
  hash: string;
  task: Task;
  data?: Promise<SiteDataset>;
  /** One runner per replay scope (a run of the task), so a new run's round 1 is not an old run's replay. */
  runners: Map<string, SiteRunner>;
}

/** Runners kept per task; older runs' runners are dropped first. */
const MAX_RUNNERS_PER_TASK = 4;
/** Hashes of unapproved manifests remembered (so a repeat is not logged again); older ones are forgotten first. */
export const MAX_UNAPPROVED_HASHES = 32;

export function isApproved(policy: SitePolicy, hash: string): boolean {
  return policy.acceptTasks && policy.approvedTaskHashes.includes(hash);
}

export class TaskRegistry {
  private readonly tasks = new Map<string, TaskEntry>();
  /** Hashes of unapproved manifests received, oldest first (a Set keeps insertion order). */
  private readonly unapproved = new Set<string>();

  constructor(private readonly options: TaskRegistryOptions) {}

  /** Whether this manifest was received (for an unapproved one: while its hash is remembered). */
  has(hash: string): boolean {
    return this.tasks.has(hash) || this.unapproved.has(hash);
  }

  /** How many manifests are held parsed (approved only) and how many unapproved hashes are remembered. */
  get held(): { manifests: number; unapprovedHashes: number } {
    return { manifests: this.tasks.size, unapprovedHashes: this.unapproved.size };
  }

  /**
   * Records a received manifest (TASK_INVALID if it does not hash to `hash`).
   * For an approved task, starts loading the data in the background (unless a custom work replaces it).
   * Returns false when the manifest was already known.
   */
  addManifest(hash: string, json: string): boolean {
    if (this.has(hash)) return false;
    const { manifest } = parseManifest(json, hash);
    if (!isApproved(this.options.policy, hash)) {
      // Checked against its hash (so a bad one is refused as before), then only the hash is kept.
      this.unapproved.add(hash);
      for (const old of this.unapproved) {
        if (this.unapproved.size <= MAX_UNAPPROVED_HASHES) break;
        this.unapproved.delete(old);
      }
      return true;
    }
    const entry: TaskEntry = { hash, task: manifest.task, runners: new Map() };
    this.tasks.set(hash, entry);
    if (!this.options.work) {
      this.dataFor(entry).catch(() => {
        // Logged in dataFor; the next round retries the load and refuses with the error meanwhile.
      });
    }
    return true;
  }

  /**
   * The runner for a round of `hash` in replay scope `scope`: the task's own, or one
   * whose every round the policy or a missing manifest refuses.
   */
  runnerFor(hash: string, scope: string = hash): SiteRunner {
    // The policy's verdict does not depend on having kept the manifest.
    if (!isApproved(this.options.policy, hash)) return this.runner(unavailable(`task ${hash} is not approved by this site`));
    const entry = this.tasks.get(hash);
    if (entry === undefined) {
      return this.runner(unavailable(`the site has not received the manifest of task ${hash}`));
    }
    let runner = entry.runners.get(scope);
    if (runner === undefined) {
      runner = this.runner(
        this.options.work?.(entry.task) ?? createSiteWork({
          task: entry.task,
          site: this.options.site,
          dataset: () => this.dataFor(entry),
          onDroppedMetric: (name) => this.options.logger.warn({ task: hash, metric: name }, 'non-finite metric not reported'),
        }),
      );
      entry.runners.set(scope, runner);
      for (const old of entry.runners.keys()) {
        if (entry.runners.size <= MAX_RUNNERS_PER_TASK) break;
        entry.runners.get(old)?.discardNoise();
        entry.runners.delete(old);
      }
    }
    return runner;
  }

  private runner(work: SiteWork): SiteRunner {
    const { site, policy, identitySecretKey, privacy, membership, revealed, onRefusal, evaluations } = this.options;
    return new SiteRunner({
      site,
      policy,
      work,
      identitySecretKey,
      ...(privacy ? { privacy } : {}),
      ...(membership ? { membership } : {}),
      ...(revealed ? { revealed } : {}),
      ...(onRefusal ? { onRefusal } : {}),
      ...(evaluations ? { evaluations } : {}),
    });
  }

  /** Loads once per task; a failed load is forgotten so a later round tries again. */
  private dataFor(entry: TaskEntry): Promise<SiteDataset> {
    if (entry.data) return entry.data;
    const { logger } = this.options;
    const began = performance.now();
    logger.info({ task: entry.hash, name: entry.task.name, version: entry.task.version }, 'loading site data for approved task');
    const spec = { name: this.options.site, dataDir: this.options.dataDir, ...(this.options.mapping ? { mapping: this.options.mapping } : {}) };
    entry.data = loadSiteForTask(entry.task, spec, entry.task.seed).then(
      (ds) => {
        const s = ds.summary;
        logger.info(
          { task: entry.hash, used: s.used, train: s.train, validation: s.validation, unconsented: s.unconsented, features: ds.featureCount, seconds: (performance.now() - began) / 1000 },
          'site data loaded',
        );
        return ds;
      },
      (error: unknown) => {
        entry.data = undefined;
        const code = isCohortError(error) ? error.code : 'INTERNAL';
        // The full message names files, lines and columns: it stays in the site's own log.
        logger.error({ task: entry.hash, reason: 'data_invalid', code, err: error }, 'site data could not be loaded for the task');
        throw new CohortError(code === 'INTERNAL' ? 'INTERNAL' : code, `the site's data could not be loaded for this task (${code}); details are in the site's log`);
      },
    );
    return entry.data;
  }
}

function unavailable(message: string): SiteWork {
  const refuse = (): never => {
    throw new CohortError('TASK_INVALID', message);
  };
  return { load: async () => refuse(), train: async () => refuse(), evaluate: async () => refuse() };
}

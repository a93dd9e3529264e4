/**
 * `cohort-site check`: everything `run` would need, verified offline. The
 * config, policy, mapping and key file are read; the site's data is loaded
 * against the task's schema exactly as `run` will load it; the model's input
 * width must match the encoded features. Never connects to anything.
 */
import { decodePublicKey, fingerprint, encodePublicKey, readKeyFile } from '@cohortfl/identity';
import { DEFAULT_COLLUDERS } from '@cohortfl/protocol';
import { summarizeLoad } from '@cohortfl/data';
import { inputDim } from '@cohortfl/ml';
import { loadSiteForTask, roundPrivacyFor } from '@cohortfl/sdk';
import { DEFAULT_MIN_CELL_SIZE, evaluationMechanism, minCellSizeOf } from '@cohortfl/protocol';
import { evaluationRecordPath, readEvaluationRecord } from './evaluation-record.js';
import { CohortError } from '@cohortfl/wire';
import { loadSiteConfig, type SiteConfig } from './config.js';
import { readManifestFile } from './manifest-file.js';
import { ledgerPath, loadLedger, storedLedger } from './privacy-ledger.js';
import { isApproved } from './task-registry.js';

export interface CheckReport {
  site: string;
  publicKey: string;
  fingerprint: string;
  taskHash: string;
  task: { name: string; version: string };
  /** The policy accepts tasks and lists this hash. */
  approved: boolean;
  featureCount: number;
  train: number;
  validation: number;
  /** The pinned consortium: its SHA-256 and members (absent: none pinned, secure rounds are refused). */
  consortium?: { sha256: string; members: { site: string; fingerprint: string }[] };
  /** The site's evaluation rules: the small-cell size and the noise on released counts. */
  evaluation: { minCellSize: number; noiseSigma?: number; modelsEvaluated: number };
  /** The policy's privacy budget and what the site's ledger has spent (absent: no budget set). */
  privacy?: { epsilonMax: number; delta: number; noiseFloor: number; epsilonSpent: number; rounds: number };
  /** Lines for people (summarizeLoad and the verdicts). */
  lines: string[];
}

export async function checkSite(configPath: string, manifestPath: string): Promise<CheckReport> {
  const config = loadSiteConfig(configPath);
  const identity = readKeyFile(config.keyFile);
  const { manifest, hash } = readManifestFile(manifestPath);
  const task = manifest.task;
  const spec = { name: config.site, dataDir: config.dataDir, ...(config.mapping ? { mapping: config.mapping } : {}) };
  const ds = await loadSiteForTask(task, spec, task.seed);
  const width = inputDim(task.model);
  if (width !== ds.featureCount) {
    throw new CohortError('TASK_INVALID', `the task's model takes ${width} inputs but the site's data encodes ${ds.featureCount} features`);
  }
  if (ds.train.n === 0 || ds.validation.n === 0) {
    throw new CohortError('DATA_INVALID', `the site needs at least one training and one validation record for this task; it has ${ds.train.n} and ${ds.validation.n}`);
  }
  const approved = isApproved(config.policy, hash);
  const publicKey = encodePublicKey(identity.publicKey);
  const print = fingerprint(identity.publicKey);
  const policyLine = approved
    ? `task ${hash} is approved by this site's policy`
    : !config.policy.acceptTasks
      ? `task ${hash} is NOT approved: the policy does not accept tasks (acceptTasks is false)`
      : `task ${hash} is NOT approved: add it to approvedTaskHashes in the policy to take part`;
  const privacy = privacyLines(config.stateDir, config.privacy, roundPrivacyFor(task) !== undefined);
  const evaluation = evaluationLines(config, task.schema.subgroups?.length ?? 0, ds.validation.n);
  const lines = [
    `site ${config.site}: config ${config.source} is valid`,
    `key ${publicKey} (fingerprint ${print})`,
    `task ${task.name} ${task.version}: ${ds.featureCount} features, model input matches`,
    ...summarizeLoad(ds.summary).split('\n'),
    policyLine,
    `minimum cohort size ${config.policy.minCohortSize}`,
    ...consortiumLines(config, task.secureAggregation.enabled),
    ...evaluation.lines,
    ...privacy.lines,
  ];
  return {
    site: config.site,
    publicKey,
    fingerprint: print,
    taskHash: hash,
    task: { name: task.name, version: task.version },
    approved,
    featureCount: ds.featureCount,
    train: ds.train.n,
    validation: ds.validation.n,
    ...(config.membership
      ? { consortium: { sha256: config.membership.digest, members: config.membership.members.map((m) => ({ site: m.site, fingerprint: fingerprint(decodePublicKey(m.identityKey)) })) } }
      : {}),
    evaluation: evaluation.report,
    ...(privacy.report ? { privacy: privacy.report } : {}),
    lines,
  };
}

/** The pinned consortium members, the colluders assumed and whether this site is in it. */
function consortiumLines(config: SiteConfig, secure: boolean): string[] {
  const colluders = `colluding sites assumed: ${config.policy.colluders ?? DEFAULT_COLLUDERS} (the secure aggregation threshold must tolerate them)`;
  const m = config.membership;
  if (!m) {
    return [
      secure
        ? 'consortium: NONE pinned; this task uses secure aggregation, so this site will refuse its rounds until policy.consortium pins the membership (cohort-coordinator sites consortium)'
        : 'consortium: none pinned (needed for tasks with secure aggregation)',
      colluders,
    ];
  }
  const self = m.keyOf(config.site);
  return [
    `consortium ${m.digest}: ${m.members.length} pinned members; secure aggregation peers are accepted only from these`,
    ...m.members.map((x) => `  ${x.site}  ${fingerprint(decodePublicKey(x.identityKey))}${x.site === config.site ? '  (this site)' : ''}`),
    ...(self === undefined ? [`WARNING: this site '${config.site}' is not in the pinned consortium; its secure rounds will fail`] : []),
    colluders,
  ];
}

/** The budget and the ledger's spend, read from the state folder exactly as `run` reads them. */
function privacyLines(stateDir: string, budget: SiteConfig['privacy'], taskHasDp: boolean): { lines: string[]; report?: CheckReport['privacy'] } {
  const path = ledgerPath(stateDir);
  if (budget === undefined) {
    const stored = storedLedger(stateDir);
    const spent = stored ? `; the ledger ${path} records ε = ${stored.epsilonSpent().toFixed(4)} spent over ${stored.state().rounds} rounds` : '';
    return { lines: [`privacy budget: none set in the policy (rounds without differential privacy are accepted)${spent}`] };
  }
  const ledger = loadLedger(stateDir, budget);
  const epsilonSpent = ledger.epsilonSpent();
  const rounds = ledger.state().rounds;
  const lines = [
    `privacy budget: ε ≤ ${budget.epsilonMax} at δ = ${budget.delta}, noise floor ${budget.noiseFloor}`,
    `privacy spent so far: ε = ${epsilonSpent.toFixed(4)} over ${rounds} round${rounds === 1 ? '' : 's'} (${rounds === 0 ? 'no ledger yet; it will be' : 'ledger'} ${path})`,
    taskHasDp
      ? 'the task applies differential privacy; each round is charged to this budget'
      : 'the task applies NO differential privacy: with a budget set, this site will refuse its rounds (POLICY_REFUSED)',
  ];
  return { lines, report: { ...budget, epsilonSpent, rounds } };
}

/** The small-cell rule and evaluation noise, as `run` will apply them, and the models evaluated so far. */
function evaluationLines(config: SiteConfig, columns: number, validation: number): { lines: string[]; report: CheckReport['evaluation'] } {
  const minCellSize = minCellSizeOf(config.policy);
  const noise = config.policy.evaluationNoise;
  const record = readEvaluationRecord(config.stateDir) as { evaluated?: unknown[] } | undefined;
  const modelsEvaluated = Array.isArray(record?.evaluated) ? record.evaluated.length : 0;
  const lines = [
    `minimum cell size ${minCellSize}${config.policy.minCellSize === undefined ? ` (the default ${DEFAULT_MIN_CELL_SIZE}; small-cell rules in common use take 5 to 11)` : ''}: subgroup × label cells below it are suppressed in evaluations`,
    validation < 2 * minCellSize
      ? `the validation split has ${validation} records: with fewer than ${minCellSize} of a label, this site refuses evaluations (suppressed)`
      : `the validation split has ${validation} records`,
    noise
      ? `evaluation noise: discrete Gaussian σ = ${noise.sigma} counts on every released count, charged as noise multiplier ${(evaluationMechanism(noise, columns) as { noiseMultiplier: number }).noiseMultiplier.toFixed(3)} per evaluation (${columns} subgroup column${columns === 1 ? '' : 's'})`
      : 'evaluation noise: none (released counts are exact, above the cell size; evaluations are not charged to a privacy budget)',
    `models evaluated so far: ${modelsEvaluated} (each committed model is evaluated once; record ${evaluationRecordPath(config.stateDir)})`,
  ];
  return { lines, report: { minCellSize, ...(noise ? { noiseSigma: noise.sigma } : {}), modelsEvaluated } };
}

/**
 * `cohort-site check`: everything `run` would need, verified offline. The
 * config, policy, mapping and key file are read; the site's data is loaded
 * against the task's schema exactly as `run` will load it; the model's input
 * width must match the encoded features. Never connects to anything.
 */
import { fingerprint, encodePublicKey, readKeyFile } from '@cohortfl/identity';
import { summarizeLoad } from '@cohortfl/data';
import { inputDim } from '@cohortfl/ml';
import { loadSiteForTask } from '@cohortfl/sdk';
import { CohortError } from '@cohortfl/wire';
import { loadSiteConfig } from './config.js';
import { readManifestFile } from './manifest-file.js';
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
  const lines = [
    `site ${config.site}: config ${config.source} is valid`,
    `key ${publicKey} (fingerprint ${print})`,
    `task ${task.name} ${task.version}: ${ds.featureCount} features, model input matches`,
    ...summarizeLoad(ds.summary).split('\n'),
    policyLine,
    `minimum cohort size ${config.policy.minCohortSize}`,
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
    lines,
  };
}

/** Collects a checkpoint's provenance from the store: task parameters, every round up to it, ε per site. */
import { encodePublicKey, fingerprint, type Identity } from '@cohortfl/identity';
import type { Task } from '@cohortfl/sdk';
import { CohortError } from '@cohortfl/wire';
import { perSiteOf } from '../reports.js';
import { taskOf } from '../run-setup.js';
import { readSiteEpsilon } from '../site-epsilon.js';
import type { RoundRow, RunRow, Store } from '../store/index.js';
import { chainHash, PROVENANCE_GENESIS_HASH } from './chain.js';
import { signProvenance } from './sign.js';
import {
  PROVENANCE_FORMAT,
  type ProvenancePrivacy,
  type ProvenanceRecord,
  type ProvenanceRound,
  type ProvenanceSecureAggregation,
  type UnsignedProvenanceRecord,
} from './types.js';

export interface BuildProvenanceOptions {
  /** The checkpoint after this round (default: the last completed round). */
  round?: number;
  /** generatedAt, in ms since the epoch (default: now). */
  at?: number;
}

/** The record of a run's checkpoint, signed with the coordinator's key. Throws NOT_FOUND for a missing run or round. */
export function buildProvenance(store: Store, identity: Identity, runId: number, options: BuildProvenanceOptions = {}): ProvenanceRecord {
  return signProvenance(identity.secretKey, unsignedProvenance(store, identity.publicKey, runId, options));
}

export function unsignedProvenance(store: Store, publicKey: Uint8Array, runId: number, options: BuildProvenanceOptions = {}): UnsignedProvenanceRecord {
  const run = store.getRun(runId);
  if (!run) throw new CohortError('NOT_FOUND', `no run ${runId} in this store`);
  const taskRow = store.getTask(run.taskHash);
  if (!taskRow) throw new CohortError('NOT_FOUND', `run ${runId}'s task ${run.taskHash} is not in this store`);
  const stored = store.completedRounds(runId);
  const head = pickHead(run, stored, options.round);
  const rows = stored.filter((r) => r.round <= head.round);
  const rounds = chained(store, runId, rows);
  const last = rounds.at(-1)!;
  const task = taskOf(taskRow);
  return {
    format: PROVENANCE_FORMAT,
    run: { id: run.id, status: run.status, createdAt: run.createdAt, plannedRounds: run.rounds, holdOut: holdOutOf(run) },
    task: {
      name: taskRow.name,
      version: taskRow.version,
      manifestSha256: taskRow.hash,
      rounds: task.rounds,
      minSites: task.minSites,
      fractionFit: task.fractionFit,
      strategy: strategyOf(task),
      secureAggregation: secureOf(task),
      privacy: privacyOf(task),
    },
    coordinator: { publicKey: encodePublicKey(publicKey), fingerprint: fingerprint(publicKey) },
    rounds,
    checkpoint: { round: last.round, attempt: last.attempt, sha256: last.checkpointSha256, chainHash: last.chainHash },
    privacy: siteEpsilons(store, rounds),
    generatedAt: options.at ?? Date.now(),
  };
}

function pickHead(run: RunRow, stored: RoundRow[], round: number | undefined): RoundRow {
  const done = stored.length === 0 ? 'none' : `${stored[0]!.round}-${stored.at(-1)!.round}`;
  if (round === undefined) {
    const last = stored.at(-1);
    if (!last) throw new CohortError('NOT_FOUND', `run ${run.id} has no completed round yet, so no checkpoint to describe`);
    return last;
  }
  const row = stored.find((r) => r.round === round);
  if (!row) throw new CohortError('NOT_FOUND', `run ${run.id} has no completed round ${round} (completed rounds: ${done})`);
  return row;
}

function chained(store: Store, runId: number, rows: RoundRow[]): ProvenanceRound[] {
  let prev = PROVENANCE_GENESIS_HASH;
  return rows.map((r) => {
    const link = chainHash(prev, { round: r.round, attempt: r.attempt, checkpointSha256: r.weightsSha256, trained: r.trained });
    prev = link;
    return {
      round: r.round,
      attempt: r.attempt,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      cohort: [...r.cohort],
      trained: [...r.trained],
      failures: r.failures.map((f) => ({ site: f.site, reason: f.reason, ...(f.message === undefined ? {} : { message: f.message }) })),
      trainMetrics: finite(r.trainMetrics),
      evalMetrics: finite(r.evalMetrics),
      perSite: perSiteOf(store, runId, r.round).map((s) => ({ site: s.site, numExamples: s.numExamples, metrics: finite(s.metrics) })),
      checkpointSha256: r.weightsSha256,
      chainHash: link,
    };
  });
}

/** JSON has no NaN or Infinity: a metric that is not a finite number is left out rather than turned into null. */
function finite(metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v)));
}

function strategyOf(task: Task): UnsignedProvenanceRecord['task']['strategy'] {
  const { name, ...params } = task.strategy;
  return { name, params };
}

function secureOf(task: Task): ProvenanceSecureAggregation | null {
  const s = task.secureAggregation;
  if (!s.enabled) return null;
  return { threshold: s.threshold ?? null, degree: s.degree, clip: s.clip, weightScale: s.weightScale, stepTimeout: s.stepTimeout };
}

function privacyOf(task: Task): ProvenancePrivacy | null {
  const p = task.privacy;
  if (!p) return null;
  return { unit: p.unit, clip: p.clip, delta: p.delta, noiseMultiplier: p.noiseMultiplier ?? null, targetEpsilon: p.targetEpsilon ?? null };
}

function holdOutOf(run: RunRow): string[] {
  const h = (run.config as { holdOut?: unknown }).holdOut;
  return Array.isArray(h) ? h.filter((x): x is string => typeof x === 'string') : [];
}

/** Every site in any cohort up to the checkpoint, with the ε it last reported (at generation time, not at that round). */
function siteEpsilons(store: Store, rounds: ProvenanceRound[]): UnsignedProvenanceRecord['privacy'] {
  const sites = [...new Set(rounds.flatMap((r) => r.cohort))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sites.map((site) => {
    const e = readSiteEpsilon(store, site);
    return { site, epsilonSpent: e?.epsilonSpent ?? null, reportedAt: e?.reportedAt ?? null };
  });
}

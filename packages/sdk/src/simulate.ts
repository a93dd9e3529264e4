/**
 * A whole federation in one process, on the same sans-IO round engine the
 * coordinator and site agents run: CoordinatorRun on one side, one SiteRunner
 * per hospital on the other, and an in-memory transport between them that
 * copies every message (no shared arrays) and can drop or delay sites.
 */
import type { SiteDataset } from '@cohortfl/data';
import { evaluate, initBackend, initialWeights, trainLocal, trainLocalDp, type BackendName } from '@cohortfl/ml';
import { scoreHistogram, toJSON as statsToJSON } from '@cohortfl/fairness';
import { evaluationReport, type EvaluationReport } from '@cohortfl/protocol';
import type { EncodedSplit } from '@cohortfl/data';
import { createLedger, gaussianNoise, type Ledger } from '@cohortfl/privacy';
import { CoordinatorRun, createMembership, createRandom, deriveSeed, PERMISSIVE_SIMULATION_POLICY, SiteRunner, type RoundRecord, type SiteWork } from '@cohortfl/protocol';
import { createStrategy } from '@cohortfl/strategies';
import { encodePublicKey, generateIdentity } from '@cohortfl/identity';
import { CohortError, type CoordinatorMessage, type SiteMessage } from '@cohortfl/wire';
import { roundPrivacyFor, secureOptionsFor } from './secure-options.js';
import type { Task } from './define-task.js';
import { buildManifest } from './manifest.js';
import { loadSiteForTask, stack, type SiteSpec } from './site-data.js';

export interface SimulateOptions {
  sites: SiteSpec[];
  rounds?: number;
  seed?: number;
  /** Probability that a site silently drops out of a phase (seeded). */
  dropout?: number;
  /** Probability that a site answers only after the phase deadline (seeded). */
  stragglers?: number;
  /** Attempts per round before the run gives up. Default 5. */
  maxAttempts?: number;
  /** Probability that a site drops out at each message (a phase or a secure aggregation step), as `dropout` but
   *  applied only to secure aggregation steps after training; lets tests drop sites in every phase. */
  secureDropout?: number;
  /** Each simulated hospital's privacy budget (its ledger refuses rounds beyond it). */
  budget?: { epsilonMax: number; delta: number; noiseFloor?: number };
  /** Per-site budgets, overriding `budget` for the sites named. */
  budgets?: Record<string, { epsilonMax: number; delta: number; noiseFloor?: number }>;
  /** Sites kept out of training: evaluated only (external validation on unseen hospitals). */
  holdOut?: string[];
  /** Every simulated hospital's small-cell rule for evaluations (policy minCellSize); default the protocol's. */
  minCellSize?: number;
  /** Already loaded datasets by site name (skips loading). */
  datasets?: Map<string, SiteDataset>;
  onRound?: (summary: RoundSummary) => void;
  onEvent?: (event: SimulationEvent) => void;
}

export type SimulationEvent =
  | { kind: 'loaded'; site: string; dataset: SiteDataset }
  | { kind: 'dropped'; site: string; round: number; phase: string }
  | { kind: 'straggled'; site: string; round: number; phase: string }
  | { kind: 'round-failed'; round: number; attempt: number; code: string; message: string }
  | { kind: 'rejected'; site: string; reason: string; message: string };

export interface RoundSummary {
  round: number;
  attempt: number;
  trained: string[];
  failures: { site: string; reason: string }[];
  trainLoss: number;
  /** Example-weighted mean of the sites' own validation metrics. */
  metrics: Record<string, number>;
  perSite: { site: string; n: number; auc: number; loss: number; accuracy: number }[];
}

export interface SimulationResult {
  taskHash: string;
  backend: BackendName;
  rounds: RoundSummary[];
  failedAttempts: number;
  weights: Float32Array;
  datasets: Map<string, SiteDataset>;
  /** The final global model on every site's validation split. */
  perSite: { name: string; n: number; train: number; validation: number; auc: number; loss: number; accuracy: number }[];
  /** The final global model on the union of all validation splits. */
  federated: { auc: number; loss: number; accuracy: number; n: number };
  seconds: number;
  /** The final model per site and pooled, overall and per subgroup, from score histograms. */
  fairness?: EvaluationReport;
  /** Held-out sites: the final model's AUC at hospitals it never trained on. */
  external: { name: string; n: number; auc: number }[];
  /** ε spent per site (at each site's δ), when the task applies differential privacy. */
  privacy?: { unit: 'site' | 'patient'; delta: number; perSite: { name: string; epsilonSpent: number; rounds: number; refusedRounds: number }[] };
}

export async function simulate(task: Task, options: SimulateOptions): Promise<SimulationResult> {
  const began = performance.now();
  if (options.sites.length === 0) throw new CohortError('CONFIG_INVALID', 'simulate needs at least one site');
  const names = new Set(options.sites.map((s) => s.name));
  if (names.size !== options.sites.length) throw new CohortError('CONFIG_INVALID', 'site names must be unique');
  const seed = options.seed ?? task.seed;
  const rounds = options.rounds ?? task.rounds;
  const backend = await initBackend();
  const { hash } = buildManifest(task);
  const datasets = new Map(options.datasets ?? []);
  for (const site of options.sites) {
    if (!datasets.has(site.name)) datasets.set(site.name, await loadSiteForTask(task, site, seed));
    options.onEvent?.({ kind: 'loaded', site: site.name, dataset: datasets.get(site.name)! });
  }
  const data = (name: string) => datasets.get(name)!;

  // Each simulated hospital gets a real identity: secure aggregation signs key advertisements.
  const identities = new Map(options.sites.map((site) => [site.name, generateIdentity()]));
  // One process, one consortium: every simulated hospital pins the same membership.
  const membership = createMembership(options.sites.map((site) => ({ site: site.name, identityKey: encodePublicKey(identities.get(site.name)!.publicKey) })));
  // Each hospital's ledger: its own budget, or an unbounded one that only records ε spent.
  const privacyTask = task.privacy;
  const ledgers = new Map<string, Ledger>();
  if (privacyTask) {
    for (const site of options.sites) {
      const b = options.budgets?.[site.name] ?? options.budget;
      ledgers.set(site.name, createLedger({ epsilonMax: b?.epsilonMax ?? Number.MAX_VALUE, delta: b?.delta ?? privacyTask.delta, noiseFloor: b?.noiseFloor ?? 0 }));
    }
  }
  const refused = new Map<string, number>();
  const runners = new Map(
    options.sites.map((site) => {
      const ds = data(site.name);
      const work: SiteWork = {
        load: async () => undefined,
        facts: () => ({ trainExamples: ds.train.n, epochs: task.training.epochs, batchSize: task.training.batchSize }),
        trainLoss: async (weights) => (await evaluate({ topology: task.model, weights, data: { ...ds.train, featureCount: ds.featureCount } })).loss,
        train: (start, dpSgd) => {
          const common = {
            topology: task.model,
            weights: start.weights,
            data: { ...ds.train, featureCount: ds.featureCount },
            training: { ...task.training, proxMu: dpSgd ? 0 : Number(start.config.proxMu ?? task.training.proxMu ?? 0) },
            seed: deriveSeed(seed, `${site.name}:${start.round}:${start.attempt}`),
          };
          return dpSgd ? trainLocalDp({ ...common, dp: dpSgd, noise: (count, sigma) => gaussianNoise(count, sigma) }) : trainLocal(common);
        },
        evaluate: async (start) => {
          const r = await evaluate({ topology: task.model, weights: start.weights, data: { ...ds.validation, featureCount: ds.featureCount } });
          return { numExamples: r.n, metrics: { auc: r.auc, loss: r.loss, accuracy: r.accuracy }, stats: statsOf(ds.validation, r.scores) };
        },
      };
      const ledger = ledgers.get(site.name);
      const runner = new SiteRunner({
        site: site.name,
        policy: { ...PERMISSIVE_SIMULATION_POLICY(hash), ...(options.minCellSize !== undefined ? { minCellSize: options.minCellSize } : {}) },
        work,
        identitySecretKey: identities.get(site.name)!.secretKey,
        membership,
        ...(ledger ? { privacy: { ledger } } : {}),
      });
      return [site.name, runner] as const;
    }),
  );

  const strategy = createStrategy({ ...task.strategy, fractionFit: task.fractionFit, minSites: task.minSites });
  const run = new CoordinatorRun({
    taskHash: hash,
    strategy,
    initialWeights: await initialWeights(task.model, task.seed),
    rounds,
    minSites: task.minSites,
    seed,
    timeoutMs: { train: task.timeouts.train * 1000, evaluate: task.timeouts.evaluate * 1000 },
    ...(roundPrivacyFor(task, rounds) ? { privacy: roundPrivacyFor(task, rounds)! } : {}),
    ...withSecure(secureOptionsFor(task, membership)),
  });
  const fate = createRandom(deriveSeed(seed, 'network-faults'));
  const exhausted = new Set<string>();
  const holdOut = new Set(options.holdOut ?? []);
  for (const h of holdOut) if (!runners.has(h)) throw new CohortError('CONFIG_INVALID', `held-out site '${h}' is not one of the sites`);
  if (holdOut.size >= runners.size) throw new CohortError('CONFIG_INVALID', 'every site is held out: nobody trains');
  const summaries: RoundSummary[] = [];
  let failedAttempts = 0;
  let now = 0;
  let attemptsThisRound = 0;

  while (!run.finished) {
    if (attemptsThisRound >= (options.maxAttempts ?? 5)) {
      throw new CohortError('ROUND_FAILED', `round ${run.status.round} failed ${attemptsThisRound} attempts; see the round-failed events`);
    }
    attemptsThisRound += 1;
    // A site whose budget is spent says so and is no longer selected.
    const available = [...runners.keys()].filter((name) => !exhausted.has(name) && !holdOut.has(name));
    let actions = run.startRound(now, available);
    while (actions.length > 0) {
      const next: typeof actions = [];
      const starts = actions.flatMap((a) => (a.kind === 'send' ? [a] : []));
      const timer = actions.find((a) => a.kind === 'timer');
      for (const a of actions) {
        if (a.kind === 'round-failed') {
          failedAttempts += 1;
          options.onEvent?.({ kind: 'round-failed', round: a.round, attempt: a.attempt, code: a.code, message: a.message });
        } else if (a.kind === 'rejected') {
          options.onEvent?.({ kind: 'rejected', site: a.from, reason: a.reason, message: a.message });
        } else if (a.kind === 'round-complete') {
          const s = summarize(a.record);
          summaries.push(s);
          attemptsThisRound = 0;
          options.onRound?.(s);
        }
      }
      if (starts.length > 0) {
        const late: { site: string; reply: SiteMessage }[] = [];
        for (const { to, message } of starts) {
          const roll = fate();
          const dropP = message.type === 'round/start' ? (options.dropout ?? 0) : (options.secureDropout ?? options.dropout ?? 0);
          if (roll < dropP) {
            options.onEvent?.({ kind: 'dropped', site: to, round: message.round, phase: phaseName(message) });
            continue;
          }
          const reply = await runners.get(to)!.handle(structuredClone(message) as CoordinatorMessage);
          if (roll < dropP + (options.stragglers ?? 0)) {
            options.onEvent?.({ kind: 'straggled', site: to, round: message.round, phase: phaseName(message) });
            late.push({ site: to, reply });
            continue;
          }
          if (reply.type === 'round/refuse' && reply.error.code === 'BUDGET_EXHAUSTED') {
            exhausted.add(to);
            refused.set(to, (refused.get(to) ?? 0) + 1);
          }
          now += 1;
          next.push(...run.receive(now, to, structuredClone(reply)));
        }
        // The deadline passes only if the answers did not already move the round on.
        if (timer && timer.kind === 'timer' && !next.some((a) => a.kind === 'send' || a.kind === 'round-complete' || a.kind === 'round-failed')) {
          now = Math.max(now, timer.at);
          next.push(...run.tick(now));
        }
        for (const { site, reply } of late) next.push(...run.receive(now + 1, site, structuredClone(reply)));
      }
      actions = next;
    }
    now += 1;
  }

  const weights = run.globalWeights;
  const perSite = [];
  const unionParts = [];
  const withStats = [];
  let featureCount = 0;
  for (const site of options.sites) {
    const ds = data(site.name);
    featureCount = ds.featureCount;
    unionParts.push(ds.validation);
    const r = await evaluate({ topology: task.model, weights, data: { ...ds.validation, featureCount } });
    perSite.push({ name: site.name, n: ds.summary.used, train: ds.train.n, validation: ds.validation.n, auc: r.auc, loss: r.loss, accuracy: r.accuracy });
    withStats.push({ site: site.name, stats: statsOf(ds.validation, r.scores) });
  }
  const fairness = evaluationReport(withStats);
  const union = await evaluate({ topology: task.model, weights, data: stack(unionParts, featureCount) });
  return {
    taskHash: hash,
    backend,
    rounds: summaries,
    failedAttempts,
    weights,
    datasets,
    perSite,
    federated: { auc: union.auc, loss: union.loss, accuracy: union.accuracy, n: union.n },
    seconds: (performance.now() - began) / 1000,
    ...(fairness ? { fairness } : {}),
    external: perSite.filter((p) => holdOut.has(p.name)).map((p) => ({ name: p.name, n: p.validation, auc: p.auc })),
    ...(privacyTask
      ? {
          privacy: {
            unit: privacyTask.unit,
            delta: privacyTask.delta,
            perSite: options.sites.map((s) => ({
              name: s.name,
              epsilonSpent: ledgers.get(s.name)!.epsilonSpent(),
              rounds: ledgers.get(s.name)!.state().rounds,
              refusedRounds: refused.get(s.name) ?? 0,
            })),
          },
        }
      : {}),
  };
}

/** Score histograms of one validation split, overall and per subgroup (sufficient statistics). */
function statsOf(split: EncodedSplit, scores: Float32Array) {
  return statsToJSON(scoreHistogram({ labels: split.y, scores, groups: split.groups }));
}

function phaseName(message: CoordinatorMessage): string {
  return message.type === 'round/start' ? message.phase : message.type;
}

function withSecure<T>(value: T | undefined): { secureAggregation?: T } {
  return value === undefined ? {} : { secureAggregation: value };
}

function summarize(record: RoundRecord): RoundSummary {
  return {
    round: record.round,
    attempt: record.attempt,
    trained: record.trained,
    failures: record.failures.map((f) => ({ site: f.site, reason: f.reason })),
    trainLoss: record.trainMetrics.loss ?? Number.NaN,
    metrics: record.evalMetrics,
    perSite: record.perSite.map((p) => ({
      site: p.site,
      n: p.numExamples,
      auc: p.metrics.auc ?? Number.NaN,
      loss: p.metrics.loss ?? Number.NaN,
      accuracy: p.metrics.accuracy ?? Number.NaN,
    })),
  };
}

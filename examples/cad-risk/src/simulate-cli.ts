#!/usr/bin/env node
/**
 * `pnpm simulate`: the cad-risk federation (5 synthetic hospitals) in one
 * process, with the pooled and local-only references it is judged against.
 */
import { writeFileSync } from 'node:fs';
import { renderReportHtml } from '@cohortfl/dashboard';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import Table from 'cli-table3';
import { initBackend, simulate, trainLocalOnly, trainPooled } from '@cohortfl/sdk';
import { parseStrategySpec } from '@cohortfl/strategies';
import { exitCodeFor } from '@cohortfl/wire';
import { DEFAULT_DATA_DIR, ensureConsortium } from './consortium.js';
import { simulationReportInput } from './simulation-report.js';
import { cadRiskTask } from './task.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    out: { type: 'string' },
    report: { type: 'string' },
    plaintext: { type: 'boolean', default: false },
    loso: { type: 'boolean', default: false },
    q: { type: 'string', default: '1' },
    // Tuned on cad-risk: with 3 local Adam epochs, L = 1/learning rate (50) makes q-FedAvg's step too small to learn in 20 rounds.
    lipschitz: { type: 'string', default: '0.2' },
    dp: { type: 'string' },
    epsilon: { type: 'string', default: '8' },
    delta: { type: 'string', default: '1e-5' },
    rounds: { type: 'string', default: '20' },
    seed: { type: 'string', default: '7' },
    data: { type: 'string', default: DEFAULT_DATA_DIR },
    dropout: { type: 'string', default: '0' },
    stragglers: { type: 'string', default: '0' },
    strategy: { type: 'string', default: 'fedavg' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(`Usage: pnpm simulate [--json] [--out result.json] [--report report.html] [--plaintext] [--loso] [--dp site|patient [--epsilon 8] [--delta 1e-5]] [--rounds 20] [--seed 7] [--strategy fedavg|fedprox|fedadam|fedyogi|fedadagrad|fedmedian|trimmedmean|qfedavg [--q 1] [--lipschitz 0.2]]
                     [--dropout 0..1] [--stragglers 0..1] [--data <dir>]
Runs the cad-risk federation of 5 synthetic hospitals in one process and compares it with
the same model trained centrally (pooled) and with each hospital's own model (local only).
Secure aggregation is on unless --plaintext is given (median and trimmed mean need
each site's update, so they always run in plaintext). With --dp the run applies
differential privacy calibrated so the whole run spends --epsilon at --delta (site-level:
each hospital's whole data; patient-level: DP-SGD at every hospital), and the JSON gains a
privacy section with ε spent per site and the AUC with and without DP. --loso adds
leave-one-site-out external validation: each hospital's AUC under a model trained
without it. --report writes a self-contained HTML page with the charts of the
coordinator's dashboard (loss and AUC by round, per-site AUC, subgroup AUC gaps).`);
  process.exit(0);
}

function num(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`--${name} must be a number between ${min} and ${max}, got '${v}'`);
    process.exit(2);
  }
  return n;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const rounds = num('rounds', values.rounds, 1, 1000);
  const seed = num('seed', values.seed, 0, 2 ** 32 - 1);
  // Strategies that need a parameter get a documented default here.
  const defaults: Record<string, Record<string, number>> = { fedprox: { proxMu: 0.01 }, trimmedmean: { beta: 0.2 }, qfedavg: { q: Number(values.q), lipschitz: Number(values.lipschitz) } };
  const strategy = parseStrategySpec({ name: values.strategy, ...(defaults[values.strategy] ?? {}) });
  log(`cad-risk: preparing synthetic hospitals in ${values.data}`);
  const { sites, panel, generated } = await ensureConsortium(values.data);
  log(generated ? 'cad-risk: data generated' : 'cad-risk: data already present (same seed), reused');
  await initBackend();
  const robust = strategy.name === 'fedmedian' || strategy.name === 'trimmedmean';
  if (robust && !values.plaintext) log(`cad-risk: ${strategy.name} needs each site's update; running without secure aggregation`);
  const secure = !values.plaintext && !robust;
  const dpUnit = values.dp;
  if (dpUnit !== undefined && dpUnit !== 'site' && dpUnit !== 'patient') {
    console.error(`--dp must be 'site' or 'patient', got '${dpUnit}'`);
    process.exit(2);
  }
  const privacy = dpUnit ? { unit: dpUnit as 'site' | 'patient', targetEpsilon: num('epsilon', values.epsilon, 1e-3, 1e3), delta: num('delta', values.delta, 1e-12, 0.1) } : undefined;
  const task = cadRiskTask({ variants: panel, rounds, strategy, secure, ...(privacy ? { privacy } : {}) });

  const bar = new cliProgress.SingleBar(
    { format: ' {phase} |{bar}| {value}/{total} rounds | mean site AUC {auc} | {eta_formatted} left', stream: process.stderr, hideCursor: true, noTTYOutput: false },
    cliProgress.Presets.shades_classic,
  );
  let barStarted = false;
  const federatedStartedAt = Date.now();
  const roundFinishedAt: number[] = [];
  const result = await simulate(task, {
    sites,
    rounds,
    seed,
    dropout: num('dropout', values.dropout, 0, 1),
    stragglers: num('stragglers', values.stragglers, 0, 1),
    onEvent: (e) => {
      if (e.kind === 'loaded') log(`  loaded ${e.site}: ${e.dataset.summary.used} patients used (${e.dataset.summary.unconsented} without consent excluded), ${e.dataset.featureCount} features`);
      if (e.kind === 'round-failed') log(`  round ${e.round} attempt ${e.attempt} failed: ${e.message}`);
    },
    onRound: (r) => {
      roundFinishedAt.push(Date.now());
      if (!barStarted) {
        bar.start(rounds, 0, { phase: 'federated', auc: '-' });
        barStarted = true;
      }
      bar.update(r.round, { auc: (r.metrics.auc ?? Number.NaN).toFixed(3) });
    },
  });
  bar.stop();
  let withoutDp: Awaited<ReturnType<typeof simulate>> | undefined;
  if (privacy) {
    log('cad-risk: the same federation without differential privacy, for comparison');
    withoutDp = await simulate(cadRiskTask({ variants: panel, rounds, strategy, secure }), { sites, rounds, seed, datasets: result.datasets });
  }
  const loso: { site: string; auc: number; aucWhenTrainedOn: number }[] = [];
  if (values.loso) {
    for (const site of sites) {
      log(`cad-risk: leave-one-site-out: training without ${site.name}`);
      const out = await simulate(task, { sites, rounds, seed, datasets: result.datasets, holdOut: [site.name] });
      loso.push({ site: site.name, auc: out.external[0]!.auc, aucWhenTrainedOn: result.perSite.find((p) => p.name === site.name)!.auc });
    }
  }
  log('cad-risk: training the pooled and local-only references');
  const pooled = await trainPooled(task, result.datasets, { rounds, seed });
  const localOnly = await trainLocalOnly(task, result.datasets, { rounds, seed });
  const bestLocal = Math.max(...localOnly.map((l) => l.unionAuc));
  const summary = {
    task: { name: task.name, version: task.version, hash: result.taskHash, strategy: task.strategy.name, features: result.datasets.values().next().value?.featureCount },
    secureAggregation: task.secureAggregation.enabled,
    ...(result.privacy && withoutDp
      ? {
          privacy: {
            unit: result.privacy.unit,
            targetEpsilon: task.privacy!.targetEpsilon,
            delta: result.privacy.delta,
            ...(task.privacy!.noiseMultiplier === undefined ? {} : { noiseMultiplier: task.privacy!.noiseMultiplier }),
            clip: task.privacy!.clip,
            perSite: result.privacy.perSite,
            aucWithDp: result.federated.auc,
            aucWithoutDp: withoutDp.federated.auc,
          },
        }
      : {}),
    federated: result.federated,
    pooled: { auc: pooled.auc, loss: pooled.loss, accuracy: pooled.accuracy },
    localOnly,
    perSite: result.perSite,
    ...(result.fairness ? { fairness: fairnessSummary(result.fairness) } : {}),
    ...(loso.length > 0 ? { leaveOneSiteOut: loso } : {}),
    rounds: result.rounds.map((r) => ({ round: r.round, attempt: r.attempt, trained: r.trained, failures: r.failures, trainLoss: r.trainLoss, siteMeanAuc: r.metrics.auc, perSite: r.perSite })),
    failedAttempts: result.failedAttempts,
    checks: {
      federatedMinusPooled: result.federated.auc - pooled.auc,
      withinPooled: Math.abs(result.federated.auc - pooled.auc) <= 0.02,
      federatedMinusBestLocal: result.federated.auc - bestLocal,
      beatsEveryLocalModel: result.federated.auc > bestLocal,
    },
    backend: result.backend,
    seconds: (performance.now() - started) / 1000,
  };
  if (values.out) writeFileSync(values.out, `${JSON.stringify(summary, null, 2)}\n`);
  if (values.report) {
    const html = renderReportHtml(
      simulationReportInput(result, {
        title: `Simulation: ${task.name} ${task.version}`,
        startedAt: federatedStartedAt,
        roundFinishedAt,
        pooledAuc: pooled.auc,
        bestLocalAuc: bestLocal,
        facts: [
          { label: 'Strategy', value: task.strategy.name },
          { label: 'Secure aggregation', value: secure ? 'on' : 'off' },
          { label: 'Differential privacy', value: privacy ? `${privacy.unit}-level, ε = ${privacy.targetEpsilon}, δ = ${privacy.delta}` : 'off' },
          { label: 'Seed', value: String(seed) },
        ],
      }),
    );
    writeFileSync(values.report, html);
    log(`cad-risk: wrote the HTML report to ${values.report}`);
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');
  const byRound = new Table({ style: { compact: true }, head: ['round', 'sites', 'train loss', 'mean site AUC'] });
  for (const r of result.rounds) byRound.push([r.round, r.trained.length, f(r.trainLoss), f(r.metrics.auc ?? Number.NaN)]);
  console.log(byRound.toString());
  const table = new Table({ style: { compact: true }, head: ['site', 'patients', 'global model AUC (own validation)', 'own model AUC (own validation)', 'own model AUC (all validation)'] });
  for (const s of result.perSite) {
    const l = localOnly.find((x) => x.name === s.name)!;
    table.push([s.name, s.n, f(s.auc), f(l.ownAuc), f(l.unionAuc)]);
  }
  console.log(table.toString());
  const overall = new Table({ style: { compact: true }, head: ['model, on all sites\' validation data', 'AUC'] });
  overall.push(['federated (FL global model)', f(result.federated.auc)], ['pooled (central training, reference)', f(pooled.auc)], ['best local-only model', f(bestLocal)]);
  console.log(overall.toString());
  if (result.privacy && withoutDp) {
    const dpTable = new Table({ style: { compact: true }, head: ['site', `ε spent (δ = ${result.privacy.delta})`, 'rounds charged'] });
    for (const p of result.privacy.perSite) dpTable.push([p.name, f(p.epsilonSpent), p.rounds]);
    console.log(dpTable.toString());
    console.log(`${result.privacy.unit}-level DP: AUC ${f(result.federated.auc)} with DP, ${f(withoutDp.federated.auc)} without`);
  }
  console.log(`secure aggregation ${secure ? 'on' : 'off'}, backend ${result.backend}, ${summary.seconds.toFixed(1)} s; federated − pooled = ${f(summary.checks.federatedMinusPooled)}; federated − best local = ${f(summary.checks.federatedMinusBestLocal)}`);
}

/** The fairness section of the JSON: per site and per subgroup AUC, gaps, worst group and worst site. */
function fairnessSummary(f: NonNullable<Awaited<ReturnType<typeof simulate>>['fairness']>) {
  const byColumn = Object.fromEntries(
    Object.entries(f.pooled.fairness).map(([column, g]) => [
      column,
      {
        aucByGroup: g.aucByGroup,
        aucGap: g.aucGap,
        worstGroupAuc: g.worstGroupAuc,
        demographicParityDifference: g.demographicParityDifference,
        equalizedOddsDifference: g.equalizedOddsDifference,
        equalOpportunityDifference: g.equalOpportunityDifference,
      },
    ]),
  );
  return {
    pooled: { auc: f.pooled.metrics.auc, brier: f.pooled.metrics.brier, ece: f.pooled.metrics.ece, sensitivity: f.pooled.metrics.sensitivity, specificity: f.pooled.metrics.specificity },
    byColumn,
    perSite: f.perSite.map((s) => ({ site: s.site, auc: s.metrics.auc, n: s.metrics.n, aucByAncestry: Object.fromEntries(Object.entries(s.byGroup.ancestry ?? {}).map(([k, m]) => [k, m.auc])) })),
    worstSite: f.sites.worstSite,
    worstSiteAuc: f.sites.worstAuc,
    siteAucSpread: f.sites.maxMinusMin,
    siteAucStd: f.sites.std,
  };
}

const started = performance.now();
main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${(error as { code?: string }).code ?? 'ERROR'}: ${error.message}` : error);
  process.exit(exitCodeFor(error));
});
